#include "prompts/promptpool.h"

#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QJsonValue>
#include <QStringList>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <mutex>
#include <span>

using namespace Qt::StringLiterals;

// Q_INIT_RESOURCE declares the rcc-generated function in the scope it is used in, and
// that function lives in the global namespace.
static void initDefaultPromptsResource()
{
    Q_INIT_RESOURCE(default_prompts);
}

namespace aimload {

namespace {

constexpr int FormatVersion = 1;
// A prompt pool is a few kilobytes; the cap keeps a wrong --prompts argument (a log,
// a device) from being read without end.
constexpr qint64 MaxFileBytes = 16 * 1024 * 1024;
// Values from the file are quoted in error lines; a runaway string is cut short.
constexpr qsizetype MaxQuotedChars = 60;

constexpr std::array TopLevelKeys {"version"_L1, "groups"_L1};
constexpr std::array GroupKeys {"name"_L1, "weight"_L1, "prompts"_L1};
constexpr std::array PromptKeys {"id"_L1, "description"_L1, "text"_L1, "endpoint"_L1, "workflow"_L1,
    "expected_tool_calls"_L1, "expect_success"_L1};

// Escapes what would break an error or summary line apart.
QString escaped(QStringView value)
{
    QString out;
    out.reserve(value.size());
    for (const QChar c : value) {
        if (c == u'\n') {
            out += u"\\n"_s;
        } else if (c == u'\r') {
            out += u"\\r"_s;
        } else if (c == u'\t') {
            out += u"\\t"_s;
        } else if (c.category() == QChar::Other_Control || c.category() == QChar::Separator_Line
            || c.category() == QChar::Separator_Paragraph) {
            out += u"\\u"_s + QString::number(c.unicode(), 16).rightJustified(4, u'0');
        } else {
            out += c;
        }
    }
    return out;
}

QString quoted(const QString& value)
{
    QStringView shown = QStringView(value).left(MaxQuotedChars);
    if (!shown.isEmpty() && shown.back().isHighSurrogate())
        shown.chop(1);

    QString inner = shown.toString();
    inner.replace(u'\\', u"\\\\"_s).replace(u'"', u"\\\""_s);
    return u'"' + escaped(inner) + u'"' + (shown.size() < value.size() ? u"..."_s : QString());
}

QString located(const QString& where, const QString& what)
{
    return where + u": "_s + what;
}

QString typeName(QJsonValue::Type type)
{
    switch (type) {
    case QJsonValue::Null:
        return PromptPool::tr("null");
    case QJsonValue::Bool:
        return PromptPool::tr("a boolean");
    case QJsonValue::Double:
        return PromptPool::tr("a number");
    case QJsonValue::String:
        return PromptPool::tr("a string");
    case QJsonValue::Array:
        return PromptPool::tr("an array");
    case QJsonValue::Object:
        return PromptPool::tr("an object");
    case QJsonValue::Undefined:
        break;
    }
    return PromptPool::tr("nothing");
}

QString syntaxLocation(const QByteArray& json, qsizetype offset)
{
    const qsizetype end = std::clamp<qsizetype>(offset, 0, json.size());
    qsizetype i = json.startsWith("\xEF\xBB\xBF") ? 3 : 0;
    int line = 1;
    int column = 1;
    for (; i < end; ++i) {
        const auto byte = uchar(json.at(i));
        if (byte == '\n') {
            ++line;
            column = 1;
        } else if ((byte & 0xC0) != 0x80) { // UTF-8 continuation bytes add no column
            ++column;
        }
    }
    return PromptPool::tr("line %1, column %2").arg(line).arg(column);
}

// The checks below return what is wrong, or an empty string when all is well.

QString unknownKeyProblem(const QJsonObject& object, std::span<const QLatin1StringView> allowed)
{
    const QStringList keys = object.keys();
    for (const QString& key : keys) {
        if (std::find(allowed.begin(), allowed.end(), key) != allowed.end())
            continue;

        QStringList names;
        for (const QLatin1StringView name : allowed)
            names += name;
        return PromptPool::tr("unknown key %1 (allowed: %2)").arg(quoted(key), names.join(u", "_s));
    }
    return {};
}

QString typeProblem(const QJsonObject& object, QLatin1StringView key, QJsonValue::Type type)
{
    const QJsonValue value = object.value(key);
    if (value.isUndefined())
        return PromptPool::tr("missing key %1").arg(quoted(key));
    if (value.type() != type)
        return PromptPool::tr("%1 must be %2, not %3")
            .arg(quoted(key), typeName(type), typeName(value.type()));
    return {};
}

QString nonEmptyStringProblem(const QJsonObject& object, QLatin1StringView key)
{
    const QString problem = typeProblem(object, key, QJsonValue::String);
    if (problem.isEmpty() && object.value(key).toString().trimmed().isEmpty())
        return PromptPool::tr("%1 must not be empty").arg(quoted(key));
    return problem;
}

// A prompt or group is named by its id or name once it has a usable one.
QString usableName(const QJsonObject& object, QLatin1StringView key)
{
    const QJsonValue name = object.value(key);
    return name.isString() && !name.toString().trimmed().isEmpty() ? name.toString() : QString();
}

QString readVersion(const QJsonObject& root)
{
    const QString problem = typeProblem(root, "version"_L1, QJsonValue::Double);
    if (!problem.isEmpty())
        return problem;

    const double version = root.value("version"_L1).toDouble();
    if (version != FormatVersion)
        return PromptPool::tr("unsupported version %1 (this build reads version %2)")
            .arg(QString::number(version), QString::number(FormatVersion));
    return {};
}

QString readEndpoint(const QJsonObject& object, Prompt* prompt)
{
    const QString problem = typeProblem(object, "endpoint"_L1, QJsonValue::String);
    if (!problem.isEmpty())
        return problem;

    const QString path = object.value("endpoint"_L1).toString();
    const QString chat = endpointPath(Endpoint::Chat);
    const QString repair = endpointPath(Endpoint::Repair);
    if (path != chat && path != repair)
        return PromptPool::tr("unknown endpoint %1 (accepted: %2, %3)")
            .arg(quoted(path), quoted(chat), quoted(repair));
    prompt->endpoint = path == chat ? Endpoint::Chat : Endpoint::Repair;

    const QJsonValue workflow = object.value("workflow"_L1);
    const bool hasWorkflow = !workflow.isUndefined() && !workflow.isNull();
    if (prompt->endpoint == Endpoint::Chat && hasWorkflow)
        return PromptPool::tr("%1 is only allowed with endpoint %2")
            .arg(quoted(u"workflow"_s), quoted(repair));
    if (prompt->endpoint == Endpoint::Repair && !hasWorkflow)
        return PromptPool::tr("endpoint %1 needs a %2").arg(quoted(repair), quoted(u"workflow"_s));
    if (hasWorkflow) {
        if (const QString workflowProblem = nonEmptyStringProblem(object, "workflow"_L1);
            !workflowProblem.isEmpty())
            return workflowProblem;
        prompt->workflow = workflow.toString();
    }
    return {};
}

QString readToolCalls(const QJsonObject& object, Prompt* prompt)
{
    const QString problem = typeProblem(object, "expected_tool_calls"_L1, QJsonValue::Double);
    if (!problem.isEmpty())
        return problem;

    const double calls = object.value("expected_tool_calls"_L1).toDouble();
    const QString key = quoted(u"expected_tool_calls"_s);
    if (calls < 0)
        return PromptPool::tr("%1 must be 0 or more, not %2").arg(key, QString::number(calls));
    if (std::floor(calls) != calls)
        return PromptPool::tr("%1 must be a whole number, not %2").arg(key, QString::number(calls));
    if (calls > std::numeric_limits<int>::max())
        return PromptPool::tr("%1 is too large: %2").arg(key, QString::number(calls));
    prompt->expectedToolCalls = int(calls);
    return {};
}

QString promptProblem(const QJsonObject& object, Prompt* prompt)
{
    QString problem = unknownKeyProblem(object, PromptKeys);
    if (problem.isEmpty())
        problem = nonEmptyStringProblem(object, "id"_L1);
    if (problem.isEmpty())
        problem = nonEmptyStringProblem(object, "description"_L1);
    if (problem.isEmpty())
        problem = typeProblem(object, "text"_L1, QJsonValue::String);
    if (problem.isEmpty())
        problem = readEndpoint(object, prompt);
    if (problem.isEmpty())
        problem = readToolCalls(object, prompt);
    if (problem.isEmpty())
        problem = typeProblem(object, "expect_success"_L1, QJsonValue::Bool);
    return problem;
}

// Returns "<where>: <what>" for a bad prompt, or an empty string.
QString readPrompt(const QJsonValue& value, const QString& indexed, Prompt* prompt)
{
    if (!value.isObject())
        return located(
            indexed, PromptPool::tr("expected an object, not %1").arg(typeName(value.type())));

    const QJsonObject object = value.toObject();
    if (const QString problem = promptProblem(object, prompt); !problem.isEmpty()) {
        const QString id = usableName(object, "id"_L1);
        return located(
            id.isEmpty() ? indexed : PromptPool::tr("prompt %1").arg(quoted(id)), problem);
    }

    prompt->id = object.value("id"_L1).toString();
    prompt->description = object.value("description"_L1).toString();
    prompt->text = object.value("text"_L1).toString();
    prompt->expectSuccess = object.value("expect_success"_L1).toBool();
    return {};
}

QString groupProblem(const QJsonObject& object)
{
    QString problem = unknownKeyProblem(object, GroupKeys);
    if (problem.isEmpty())
        problem = nonEmptyStringProblem(object, "name"_L1);
    if (problem.isEmpty())
        problem = typeProblem(object, "weight"_L1, QJsonValue::Double);
    if (problem.isEmpty()) {
        const double weight = object.value("weight"_L1).toDouble();
        if (!(weight > 0) || !std::isfinite(weight))
            problem = PromptPool::tr("%1 must be a positive number, not %2")
                          .arg(quoted(u"weight"_s), QString::number(weight));
    }
    if (problem.isEmpty())
        problem = typeProblem(object, "prompts"_L1, QJsonValue::Array);
    if (problem.isEmpty() && object.value("prompts"_L1).toArray().isEmpty())
        problem = PromptPool::tr("%1 is empty; a group needs at least one prompt")
                      .arg(quoted(u"prompts"_s));
    return problem;
}

// Returns "<where>: <what>" for a bad group or one of its prompts, or an empty string.
QString readGroup(const QJsonValue& value, qsizetype index, PromptGroup* group)
{
    const QString indexed = u"groups[%1]"_s.arg(index);
    if (!value.isObject())
        return located(
            indexed, PromptPool::tr("expected an object, not %1").arg(typeName(value.type())));

    const QJsonObject object = value.toObject();
    if (const QString problem = groupProblem(object); !problem.isEmpty()) {
        const QString name = usableName(object, "name"_L1);
        return located(
            name.isEmpty() ? indexed : PromptPool::tr("group %1").arg(quoted(name)), problem);
    }

    group->name = object.value("name"_L1).toString();
    group->weight = object.value("weight"_L1).toDouble();
    const QJsonArray prompts = object.value("prompts"_L1).toArray();
    for (qsizetype i = 0; i < prompts.size(); ++i) {
        Prompt prompt;
        prompt.group = group->name;
        const QString problem
            = readPrompt(prompts.at(i), u"%1.prompts[%2]"_s.arg(indexed).arg(i), &prompt);
        if (!problem.isEmpty())
            return problem;
        group->prompts.append(prompt);
    }
    return {};
}

// Returns "<where>: <what>" for a name or id used twice, or an empty string.
QString duplicateProblem(const QList<PromptGroup>& groups)
{
    QHash<QString, qsizetype> groupIndex;
    QHash<QString, QString> promptGroup;
    for (qsizetype i = 0; i < groups.size(); ++i) {
        const PromptGroup& group = groups.at(i);
        if (groupIndex.contains(group.name))
            return located(PromptPool::tr("group %1").arg(quoted(group.name)),
                PromptPool::tr("duplicate name, already used by groups[%1]")
                    .arg(groupIndex.value(group.name)));
        groupIndex.insert(group.name, i);

        for (const Prompt& prompt : group.prompts) {
            if (promptGroup.contains(prompt.id))
                return located(PromptPool::tr("prompt %1").arg(quoted(prompt.id)),
                    PromptPool::tr("duplicate id, already used in group %1")
                        .arg(quoted(promptGroup.value(prompt.id))));
            promptGroup.insert(prompt.id, group.name);
        }
    }
    return {};
}

// Returns "<where>: <what>" for a document that is not a valid pool, or an empty string.
QString readDocument(const QByteArray& json, QList<PromptGroup>* groups)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return located(syntaxLocation(json, parseError.offset), parseError.errorString());

    const QString topLevel = PromptPool::tr("top level");
    if (!document.isObject())
        return located(topLevel, PromptPool::tr("expected a JSON object, not an array"));

    const QJsonObject root = document.object();
    QString problem = unknownKeyProblem(root, TopLevelKeys);
    if (problem.isEmpty())
        problem = readVersion(root);
    if (problem.isEmpty())
        problem = typeProblem(root, "groups"_L1, QJsonValue::Array);
    if (problem.isEmpty() && root.value("groups"_L1).toArray().isEmpty())
        problem = PromptPool::tr("%1 is empty; a pool needs at least one group")
                      .arg(quoted(u"groups"_s));
    if (!problem.isEmpty())
        return located(topLevel, problem);

    const QJsonArray array = root.value("groups"_L1).toArray();
    for (qsizetype i = 0; i < array.size(); ++i) {
        PromptGroup group;
        if (const QString groupProblem = readGroup(array.at(i), i, &group); !groupProblem.isEmpty())
            return groupProblem;
        groups->append(group);
    }
    return duplicateProblem(*groups);
}

// An index in [0, count) with equal chances. Plain rng() % count would favour low indexes
// a little, so values below 2^64 mod count are drawn again.
qsizetype uniformIndex(std::mt19937_64& rng, qsizetype count)
{
    const auto n = quint64(count);
    const quint64 threshold = (quint64(0) - n) % n;
    for (;;) {
        const quint64 value = rng();
        if (value >= threshold)
            return qsizetype(value % n);
    }
}

QString percentText(double percent)
{
    QString text = QString::number(percent, 'f', 1);
    if (text.endsWith(u".0"_s))
        text.chop(2);
    return text;
}

} // namespace

std::optional<PromptPool> PromptPool::fromJson(
    const QByteArray& json, const QString& sourceName, QString* error)
{
    const auto fail = [&](const QString& problem) {
        if (error)
            *error = located(escaped(sourceName), problem);
        return std::nullopt;
    };

    PromptPool pool;
    if (const QString problem = readDocument(json, &pool.m_groups); !problem.isEmpty())
        return fail(problem);

    double total = 0.0;
    for (const PromptGroup& group : std::as_const(pool.m_groups)) {
        total += group.weight;
        pool.m_cumulativeWeights.append(total);
        pool.m_promptCount += int(group.prompts.size());
    }
    if (!std::isfinite(total))
        return fail(located(tr("top level"), tr("the sum of the group weights is too large")));
    pool.m_totalWeight = total;
    pool.m_source = sourceName;
    return pool;
}

std::optional<PromptPool> PromptPool::load(const QString& path, QString* error)
{
    const auto fail = [&](const QString& problem) {
        if (error)
            *error = located(escaped(path), problem);
        return std::nullopt;
    };

    initResources();
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(tr("cannot open: %1").arg(file.errorString()));

    const QByteArray json = file.read(MaxFileBytes + 1);
    if (file.error() != QFileDevice::NoError)
        return fail(tr("cannot read: %1").arg(file.errorString()));
    if (json.size() > MaxFileBytes)
        return fail(tr("larger than %1 MiB, too large for a prompt pool")
                        .arg(MaxFileBytes / (1024 * 1024)));
    return fromJson(json, path, error);
}

QString PromptPool::defaultPoolPath()
{
    return u":/prompts/default.json"_s;
}

void PromptPool::initResources()
{
    static std::once_flag once;
    std::call_once(once, initDefaultPromptsResource);
}

const Prompt* PromptPool::findPrompt(const QString& id) const
{
    for (const PromptGroup& group : m_groups) {
        for (const Prompt& prompt : group.prompts) {
            if (prompt.id == id)
                return &prompt;
        }
    }
    return nullptr;
}

const Prompt& PromptPool::pick(std::mt19937_64& rng) const
{
    Q_ASSERT_X(!m_groups.isEmpty(), "PromptPool::pick", "the pool is empty");

    // 53 random bits make a double in [0, 1) exactly.
    const double unit = double(rng() >> 11) * 0x1.0p-53;
    const double target = unit * m_totalWeight;
    const auto found
        = std::upper_bound(m_cumulativeWeights.cbegin(), m_cumulativeWeights.cend(), target);
    // Rounding can put target on the total itself; that belongs to the last group.
    const qsizetype group
        = std::min(qsizetype(found - m_cumulativeWeights.cbegin()), m_groups.size() - 1);

    const QList<Prompt>& prompts = m_groups.at(group).prompts;
    return prompts.at(uniformIndex(rng, prompts.size()));
}

QString PromptPool::summary() const
{
    if (m_groups.isEmpty())
        return tr("no prompts");

    QStringList parts;
    for (const PromptGroup& group : m_groups) {
        parts += u"%1 %2 (%3%)"_s.arg(escaped(group.name), QString::number(group.prompts.size()),
            percentText(group.weight / m_totalWeight * 100.0));
    }
    const QString prompts
        = m_promptCount == 1 ? tr("1 prompt") : tr("%1 prompts").arg(m_promptCount);
    const QString groups
        = m_groups.size() == 1 ? tr("1 group") : tr("%1 groups").arg(m_groups.size());
    return tr("%1 in %2: %3").arg(prompts, groups, parts.join(u", "_s));
}

} // namespace aimload
