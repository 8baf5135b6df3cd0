#include "sim/simulatedagent.h"

#include "sim/httpmessage.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUrlQuery>

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <limits>
#include <utility>

#ifdef Q_OS_UNIX
#include <sys/socket.h>
#endif

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

Q_LOGGING_CATEGORY(lcSim, "aimload.sim", QtInfoMsg)

constexpr int ModelCount = 2;
constexpr double ModelBSlowdown = 1.15;
constexpr qsizetype MaxToolResultChars = 200;

const QStringList Services = {
    u"api-gateway"_s,
    u"auth-service"_s,
    u"inventory-service"_s,
    u"payment-service"_s,
};

int modelIndex(QChar model)
{
    return model == u'b' ? 1 : 0;
}

QString modelKey(int index)
{
    return index == 1 ? u"b"_s : u"a"_s;
}

double rounded(double value, int decimals)
{
    const double scale = std::pow(10.0, decimals);
    return std::round(value * scale) / scale;
}

// Python's datetime.now().isoformat(): local time, microseconds, no zone.
QString isoTimestamp(const QDateTime& time)
{
    return time.toString(u"yyyy-MM-dd'T'HH:mm:ss.zzz"_s) + u"000"_s;
}

QByteArray compactJson(const QJsonObject& object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

HttpResponse jsonResponse(int status, const QJsonObject& object)
{
    HttpResponse response;
    response.status = status;
    response.body = compactJson(object);
    return response;
}

HttpResponse detailResponse(int status, const QString& detail)
{
    return jsonResponse(status, {{u"detail"_s, detail}});
}

QJsonObject validationError(
    const QJsonArray& loc, const QString& msg, const QString& type, const QJsonObject& ctx = {})
{
    QJsonObject error {{u"loc"_s, loc}, {u"msg"_s, msg}, {u"type"_s, type}};
    if (!ctx.isEmpty())
        error.insert(u"ctx"_s, ctx);
    return error;
}

QJsonObject modelChoiceError(const QString& where, const QJsonValue& given)
{
    const QJsonObject ctx {{u"given"_s, given}, {u"permitted"_s, QJsonArray {u"a"_s, u"b"_s}}};
    return validationError(QJsonArray {where, u"model"_s},
        u"unexpected value; permitted: 'a', 'b'"_s, u"value_error.const"_s, ctx);
}

QJsonObject missingMessageError()
{
    return validationError(
        QJsonArray {u"body"_s, u"message"_s}, u"field required"_s, u"value_error.missing"_s);
}

HttpResponse validationResponse(const QJsonArray& errors)
{
    return jsonResponse(422, {{u"detail"_s, errors}});
}

// Walks text the way CPython's json scanner does, only to find the message and the
// position json.loads() reports for invalid input (positions count code points).
class PythonJsonScanner
{
public:
    explicit PythonJsonScanner(const QString& text)
        : m_text(text.toUcs4())
    { }

    // The error json.loads() raises, or nullopt when it would accept the text.
    std::optional<std::pair<QString, qsizetype>> error()
    {
        qsizetype i = skipSpace(0);
        if (!value(i))
            return std::pair {m_message, m_position};
        i = skipSpace(i);
        if (i != m_text.size())
            return std::pair {u"Extra data"_s, i};
        return std::nullopt;
    }

private:
    bool fail(const QString& message, qsizetype position)
    {
        m_message = message;
        m_position = position;
        return false;
    }

    uint at(qsizetype i) const { return i < m_text.size() ? m_text.at(i) : 0; }

    qsizetype skipSpace(qsizetype i) const
    {
        while (at(i) == ' ' || at(i) == '\t' || at(i) == '\n' || at(i) == '\r')
            ++i;
        return i;
    }

    bool literal(qsizetype& i, QStringView word)
    {
        for (qsizetype k = 0; k < word.size(); ++k) {
            if (at(i + k) != word.at(k).unicode())
                return false;
        }
        i += word.size();
        return true;
    }

    static bool isDigit(uint c) { return c >= '0' && c <= '9'; }
    static bool isHexDigit(uint c)
    {
        return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    bool value(qsizetype& i)
    {
        switch (at(i)) {
        case '"':
            return string(i);
        case '{':
            return object(i);
        case '[':
            return array(i);
        default:
            break;
        }
        for (QStringView word : {u"null", u"true", u"false", u"NaN", u"Infinity", u"-Infinity"}) {
            if (literal(i, word))
                return true;
        }
        return number(i);
    }

    bool number(qsizetype& i)
    {
        qsizetype j = i;
        if (at(j) == '-')
            ++j;
        if (!isDigit(at(j)))
            return fail(u"Expecting value"_s, i);
        if (at(j) == '0') {
            ++j;
        } else {
            while (isDigit(at(j)))
                ++j;
        }
        if (at(j) == '.' && isDigit(at(j + 1))) {
            j += 2;
            while (isDigit(at(j)))
                ++j;
        }
        if (at(j) == 'e' || at(j) == 'E') {
            qsizetype k = j + 1;
            if (at(k) == '+' || at(k) == '-')
                ++k;
            if (isDigit(at(k))) {
                while (isDigit(at(k)))
                    ++k;
                j = k;
            }
        }
        i = j;
        return true;
    }

    bool string(qsizetype& i)
    {
        const qsizetype start = i++;
        while (true) {
            if (i >= m_text.size())
                return fail(u"Unterminated string starting at"_s, start);
            const uint c = m_text.at(i);
            if (c == '"') {
                ++i;
                return true;
            }
            if (c < 0x20)
                return fail(u"Invalid control character at"_s, i);
            if (c != '\\') {
                ++i;
                continue;
            }
            const uint escape = at(i + 1);
            if (escape == 0 && i + 1 >= m_text.size())
                return fail(u"Unterminated string starting at"_s, start);
            if (escape == 'u') {
                for (qsizetype k = i + 2; k < i + 6; ++k) {
                    if (!isHexDigit(at(k)))
                        return fail(u"Invalid \\uXXXX escape"_s, i + 1);
                }
                i += 6;
            } else if (QStringView(u"\"\\/bfnrt").contains(QChar(escape))) {
                i += 2;
            } else {
                return fail(u"Invalid \\escape"_s, i);
            }
        }
    }

    bool object(qsizetype& i)
    {
        i = skipSpace(i + 1);
        if (at(i) == '}') {
            ++i;
            return true;
        }
        while (true) {
            if (at(i) != '"')
                return fail(u"Expecting property name enclosed in double quotes"_s, i);
            if (!string(i))
                return false;
            i = skipSpace(i);
            if (at(i) != ':')
                return fail(u"Expecting ':' delimiter"_s, i);
            i = skipSpace(i + 1);
            if (!value(i))
                return false;
            i = skipSpace(i);
            if (at(i) == '}') {
                ++i;
                return true;
            }
            if (at(i) != ',')
                return fail(u"Expecting ',' delimiter"_s, i);
            i = skipSpace(i + 1);
        }
    }

    bool array(qsizetype& i)
    {
        i = skipSpace(i + 1);
        if (at(i) == ']') {
            ++i;
            return true;
        }
        while (true) {
            if (!value(i))
                return false;
            i = skipSpace(i);
            if (at(i) == ']') {
                ++i;
                return true;
            }
            if (at(i) != ',')
                return fail(u"Expecting ',' delimiter"_s, i);
            i = skipSpace(i + 1);
        }
    }

    QList<uint> m_text;
    QString m_message;
    qsizetype m_position = 0;
};

// What FastAPI 0.92 (pydantic 1) reports for a body json.loads() rejects.
QJsonObject jsonDecodeError(const QString& document, const QString& message, qsizetype position)
{
    const QList<uint> points = document.toUcs4();
    qsizetype lineStart = 0;
    qsizetype line = 1;
    for (qsizetype i = 0; i < position && i < points.size(); ++i) {
        if (points.at(i) == '\n') {
            ++line;
            lineStart = i + 1;
        }
    }
    const qsizetype column = position - lineStart + 1;
    const QJsonObject ctx {
        {u"msg"_s, message},
        {u"doc"_s, document},
        {u"pos"_s, position},
        {u"lineno"_s, line},
        {u"colno"_s, column},
    };
    const QString text
        = u"%1: line %2 column %3 (char %4)"_s.arg(message).arg(line).arg(column).arg(position);
    return validationError(
        QJsonArray {u"body"_s, position}, text, u"value_error.jsondecode"_s, ctx);
}

// Parses any JSON value, scalars included, as Python's json.loads() does.
std::optional<QJsonValue> parsePythonJson(const QByteArray& body, QJsonObject* error)
{
    const QString document = QString::fromUtf8(body);
    if (const auto invalid = PythonJsonScanner(document).error()) {
        *error = jsonDecodeError(document, invalid->first, invalid->second);
        return std::nullopt;
    }

    // QJsonDocument only takes objects and arrays at the top level.
    QJsonParseError parseError;
    const QJsonArray values = QJsonDocument::fromJson('[' + body + ']', &parseError).array();
    // TODO: Python accepts NaN and Infinity, Qt does not: such a body is answered as "not
    // a valid dict" even where FastAPI would turn the number into a message like "nan".
    if (parseError.error != QJsonParseError::NoError || values.size() != 1)
        return QJsonValue();
    return values.first();
}

bool isJsonContentType(const QByteArray& contentType)
{
    const QByteArray mime = contentType.split(';').first().trimmed().toLower();
    const qsizetype slash = mime.indexOf('/');
    if (slash < 0 || mime.left(slash) != "application")
        return false;
    const QByteArray subtype = mime.mid(slash + 1);
    return subtype == "json" || subtype.endsWith("+json");
}

// pydantic 1 turns numbers and booleans into strings for a str field.
std::optional<QString> coerceToString(const QJsonValue& value)
{
    if (value.isString())
        return value.toString();
    if (value.isBool())
        return value.toBool() ? u"True"_s : u"False"_s;
    if (value.isDouble())
        return value.toVariant().toString();
    return std::nullopt;
}

struct ChatInput
{
    QString message;
    int model = 0;
};

// FastAPI 0.92 reads the body as JSON only without a content-type or with a JSON one;
// anything else reaches pydantic as bytes, which is "not a valid dict".
std::optional<QJsonValue> chatBody(const HttpRequest& request, HttpResponse* rejection)
{
    if (request.body.isEmpty()) {
        *rejection = validationResponse({validationError(
            QJsonArray {u"body"_s}, u"field required"_s, u"value_error.missing"_s)});
        return std::nullopt;
    }
    if (request.hasHeader("content-type") && !isJsonContentType(request.header("content-type")))
        return QJsonValue(QJsonValue::Undefined);
    if (!QByteArrayView(request.body).isValidUtf8()) {
        *rejection = detailResponse(400, u"There was an error parsing the body"_s);
        return std::nullopt;
    }

    QJsonObject error;
    std::optional<QJsonValue> parsed = parsePythonJson(request.body, &error);
    if (!parsed)
        *rejection = validationResponse({error});
    return parsed;
}

// pydantic 1 validates a model from anything dict() accepts: a list of pairs, even "".
std::optional<QJsonObject> pydanticDict(const QJsonValue& value)
{
    if (value.isObject())
        return value.toObject();
    if (value.isString() && value.toString().isEmpty())
        return QJsonObject();
    if (!value.isArray())
        return std::nullopt;

    QJsonObject object;
    const QJsonArray pairs = value.toArray();
    for (const QJsonValue& pair : pairs) {
        if (!pair.isArray() || pair.toArray().size() != 2)
            return std::nullopt;
        const QJsonValue key = pair.toArray().at(0);
        if (key.isString())
            object.insert(key.toString(), pair.toArray().at(1));
    }
    return object;
}

std::optional<ChatInput> validateChat(const HttpRequest& request, HttpResponse* rejection)
{
    const std::optional<QJsonValue> body = chatBody(request, rejection);
    if (!body)
        return std::nullopt;
    if (body->isNull()) {
        *rejection = validationResponse({validationError(
            QJsonArray {u"body"_s}, u"field required"_s, u"value_error.missing"_s)});
        return std::nullopt;
    }
    const std::optional<QJsonObject> fields = pydanticDict(*body);
    if (!fields) {
        *rejection = validationResponse({validationError(
            QJsonArray {u"body"_s}, u"value is not a valid dict"_s, u"type_error.dict"_s)});
        return std::nullopt;
    }

    const QJsonObject& object = *fields;
    QJsonArray errors;
    ChatInput input;
    const QJsonValue message = object.value(u"message"_s);
    if (message.isUndefined()) {
        errors.append(missingMessageError());
    } else if (message.isNull()) {
        errors.append(validationError(QJsonArray {u"body"_s, u"message"_s},
            u"none is not an allowed value"_s, u"type_error.none.not_allowed"_s));
    } else if (const std::optional<QString> text = coerceToString(message)) {
        input.message = *text;
    } else {
        errors.append(validationError(
            QJsonArray {u"body"_s, u"message"_s}, u"str type expected"_s, u"type_error.str"_s));
    }

    const QJsonValue model = object.value(u"model"_s);
    if (model.isNull()) {
        errors.append(validationError(QJsonArray {u"body"_s, u"model"_s},
            u"none is not an allowed value"_s, u"type_error.none.not_allowed"_s));
    } else if (model == u"b"_s) {
        input.model = 1;
    } else if (!model.isUndefined() && model != u"a"_s) {
        errors.append(modelChoiceError(u"body"_s, model));
    }

    if (!errors.isEmpty()) {
        *rejection = validationResponse(errors);
        return std::nullopt;
    }
    return input;
}

QString chatAnswer(const QString& message, quint64 variant)
{
    if (message.trimmed().isEmpty())
        return u"It looks like your message was empty. Please provide a message and I will be "
               u"happy to help."_s;

    static const QStringList templates = {
        u"Good question about \"%1\". In short: measure first, change one thing at a time and "
        u"keep every change small enough to roll back."_s,
        u"Regarding \"%1\": the most common cause is a configuration mismatch between services. "
        u"Check the logs first, then each service's health endpoint."_s,
        u"Here is a concise answer to \"%1\". Split the problem into smaller steps, verify each "
        u"one and watch latency and error rate while you do."_s,
        u"I looked into \"%1\". Everything points to normal behaviour; if you still see issues, "
        u"compare the latest deployment with the last known good one."_s,
        u"About \"%1\": consider throughput, latency and cost, and optimise for the one your "
        u"users notice first."_s,
        u"Summary for \"%1\": the system is healthy overall, although a few services answer "
        u"more slowly than usual, which is worth keeping an eye on."_s,
    };
    QStringList words = message.simplified().split(u' ');
    const bool cut = words.size() > 8;
    words = words.mid(0, 8);
    const QString topic = words.join(u' ') + (cut ? u"…"_s : QString());

    quint64 hash = 1469598103934665603ULL;
    for (const char byte : message.toUtf8())
        hash = (hash ^ static_cast<unsigned char>(byte)) * 1099511628211ULL;
    const auto index = static_cast<qsizetype>((hash + variant) % quint64(templates.size()));
    return templates.at(index).arg(topic);
}

struct ToolStep
{
    QString name;
    QJsonObject arguments;
    QString action;
    QString result;
    bool success = true;
    QString error;
};

struct RepairPlan
{
    QList<ToolStep> steps;
    double seconds = 0.0;
    QString reasoning; // null in the answer when empty
};

// Uniform draws taken for every /repair, whatever the workflow, so one request never
// shifts the random sequence of the next by a different amount.
struct RepairDraws
{
    double failure = 0.0;
    double agentFailure = 0.0;
    double duration = 0.0;
    double degraded = 0.0;
    double toolCount = 0.0;
    double service = 0.0;
};

QString cut(const QString& text)
{
    return text.left(MaxToolResultChars);
}

ToolStep healthStep(const QString& unhealthy, bool verify)
{
    QStringList states;
    for (const QString& service : Services)
        states.append(
            u"\"%1\": \"%2\""_s.arg(service, service == unhealthy ? u"unhealthy"_s : u"up"_s));
    const QString status = unhealthy.isEmpty() ? u"healthy"_s : u"degraded"_s;

    ToolStep step;
    step.name = u"system_health"_s;
    step.result
        = cut(u"{\"status\": \"%1\", \"services\": {%2}}"_s.arg(status, states.join(u", "_s)));
    if (unhealthy.isEmpty())
        step.action = verify ? u"Verified system health: all services healthy"_s
                             : u"Checked system health: all services healthy"_s;
    else
        step.action = u"Checked system health: %1 is unhealthy"_s.arg(unhealthy);
    return step;
}

ToolStep logsStep(const QString& service)
{
    ToolStep step;
    step.name = u"container_logs"_s;
    step.arguments = {{u"container"_s, service}, {u"lines"_s, 50}};
    step.action = u"Read the last 50 log lines of %1"_s.arg(service);
    step.result = cut(u"[%1] ERROR upstream connect error or disconnect/reset before headers, "
                      u"retried 3 times\n[%1] WARN health check failed: 503 Service Unavailable\n"
                      u"[%1] INFO worker 2 restarting"_s.arg(service));
    return step;
}

ToolStep restartStep(const QString& service)
{
    ToolStep step;
    step.name = u"service_restart"_s;
    step.arguments = {{u"service"_s, service}};
    step.action = u"Restarted %1"_s.arg(service);
    step.result = cut(u"Service %1 restarted successfully; container is running and passed its "
                      u"health check"_s.arg(service));
    return step;
}

const QStringList KnownWorkflows = {
    u"minimal_single_tool"_s,
    u"forced_full_repair"_s,
    u"repair_deterministic"_s,
    u"repair_open_ended"_s,
};

// An empty workflow, like repair_open_ended, lets the model choose its tools.
RepairPlan planRepair(const QString& workflow, const RepairDraws& draws)
{
    const QString service = Services.at(qsizetype(draws.service * double(Services.size())));
    RepairPlan plan;
    if (workflow == u"minimal_single_tool"_s) {
        plan.steps = {healthStep({}, false)};
        plan.seconds = 8.0 + 12.0 * draws.duration;
    } else if (workflow == u"forced_full_repair"_s) {
        plan.steps = {healthStep({}, false), restartStep(u"api-gateway"_s), healthStep({}, true)};
        plan.seconds = 30.0 + 60.0 * draws.duration;
    } else if (workflow == u"repair_deterministic"_s) {
        if (draws.degraded < 0.3) {
            plan.steps = {healthStep(service, false), logsStep(service), restartStep(service),
                healthStep({}, true)};
            plan.seconds = 30.0 + 30.0 * draws.duration;
            plan.reasoning
                = u"%1 was unhealthy and its logs showed failing upstream calls, so I "
                  u"restarted it and verified that every service is up again."_s.arg(service);
        } else {
            plan.steps = {healthStep({}, false), healthStep({}, true)};
            plan.seconds = 10.0 + 15.0 * draws.duration;
            plan.reasoning = u"All services were healthy, so no repair was needed."_s;
        }
    } else {
        const int count = 1 + std::min(2, int(draws.toolCount * 3.0));
        const QList<ToolStep> choices
            = {healthStep({}, false), logsStep(service), restartStep(service)};
        plan.steps = choices.mid(0, count);
        plan.seconds = count * (8.0 + 12.0 * draws.duration);
        plan.reasoning = count == 1
            ? u"I checked the system health first; everything is up, so nothing else is needed."_s
            : u"I checked the system health and inspected %1 before deciding how to act."_s.arg(
                service);
    }
    return plan;
}

// The agent's own verdict is negative: its last tool call failed.
void failLastStep(RepairPlan& plan)
{
    ToolStep& last = plan.steps.last();
    last.success = false;
    last.result.clear();
    if (last.name == u"service_restart"_s) {
        const QString service = last.arguments.value(u"service"_s).toString();
        last.error = u"Container %1 did not become healthy within 30 s"_s.arg(service);
        last.action = u"Restart of %1 failed"_s.arg(service);
    } else {
        last.error = u"MCP tool call timed out after 30 s"_s;
        last.action = u"%1 failed"_s.arg(last.name);
    }
    plan.reasoning = u"The workflow did not complete: %1."_s.arg(last.error);
}

QJsonObject repairAnswer(const RepairPlan& plan, int model, double latency)
{
    const QDateTime now = QDateTime::currentDateTime();
    QJsonArray actions;
    QJsonArray restarted;
    QJsonArray calls;
    bool success = true;
    for (qsizetype i = 0; i < plan.steps.size(); ++i) {
        const ToolStep& step = plan.steps.at(i);
        const double share = double(i + 1) / double(plan.steps.size() + 1);
        const qint64 before = qint64((1.0 - share) * latency * 1000.0);
        calls.append(QJsonObject {
            {u"tool_name"_s, step.name},
            {u"arguments"_s, step.arguments},
            {u"success"_s, step.success},
            {u"result"_s, step.result},
            {u"error"_s, step.error.isEmpty() ? QJsonValue() : QJsonValue(step.error)},
            {u"timestamp"_s, isoTimestamp(now.addMSecs(-before))},
        });
        actions.append(step.action);
        success = success && step.success;
        if (step.name == u"service_restart"_s && step.success)
            restarted.append(step.arguments.value(u"service"_s));
    }

    return {
        {u"success"_s, success},
        {u"actions_taken"_s, actions},
        {u"containers_restarted"_s, restarted},
        {u"final_status"_s, success ? u"healthy"_s : u"degraded"_s},
        {u"model_used"_s, SimulatedAgent::modelName(modelKey(model).at(0))},
        {u"latency_seconds"_s, rounded(latency, 3)},
        {u"timestamp"_s, isoTimestamp(now)},
        {u"tool_calls"_s, calls},
        {u"ai_reasoning"_s, plan.reasoning.isEmpty() ? QJsonValue() : QJsonValue(plan.reasoning)},
    };
}

QJsonObject chatAnswerObject(const QString& response, int model, double latency)
{
    return {
        {u"response"_s, response},
        {u"model_used"_s, SimulatedAgent::modelName(modelKey(model).at(0))},
        {u"latency_seconds"_s, rounded(latency, 3)},
        {u"timestamp"_s, isoTimestamp(QDateTime::currentDateTime())},
    };
}

// The agent's copy of the pool: aimload's default pool, flattened, when it is compiled
// in, else a few prompts of its own.
HttpResponse promptsResponse()
{
    QJsonArray prompts;
    QFile file(u":/prompts/default.json"_s);
    if (file.open(QIODevice::ReadOnly)) {
        const QJsonArray groups
            = QJsonDocument::fromJson(file.readAll()).object().value(u"groups"_s).toArray();
        for (const QJsonValue& group : groups) {
            const QString name = group.toObject().value(u"name"_s).toString();
            const QJsonArray members = group.toObject().value(u"prompts"_s).toArray();
            for (const QJsonValue& member : members) {
                QJsonObject prompt = member.toObject();
                prompt.insert(u"group"_s, name);
                prompts.append(prompt);
            }
        }
    }
    if (prompts.isEmpty()) {
        const auto prompt = [](const QString& id, const QString& text) {
            return QJsonObject {{u"id"_s, id}, {u"group"_s, u"simple_chat"_s}, {u"text"_s, text}};
        };
        prompts = {
            prompt(u"chat_latency"_s, u"Why is the checkout service slow today?"_s),
            prompt(u"chat_summary"_s, u"Summarise the health of the platform in two sentences."_s),
            prompt(u"chat_empty"_s, QString()),
        };
    }
    return jsonResponse(200, {{u"count"_s, prompts.size()}, {u"prompts"_s, prompts}});
}

HttpResponse rootResponse()
{
    const QJsonObject models {
        {u"a"_s, SimulatedAgent::modelName(u'a')},
        {u"b"_s, SimulatedAgent::modelName(u'b')},
    };
    const QJsonArray endpoints {
        u"/health"_s, u"/chat"_s, u"/repair"_s, u"/status"_s, u"/metrics"_s, u"/prompts"_s};
    return jsonResponse(200,
        {
            {u"service"_s, u"ai-agent"_s},
            {u"version"_s, u"2.0.0-sim"_s},
            {u"description"_s, u"Simulated AI agent for aimload"_s},
            {u"models"_s, models},
            {u"endpoints"_s, endpoints},
        });
}

HttpResponse healthResponse(double uptimeSeconds)
{
    return jsonResponse(200,
        {
            {u"status"_s, u"healthy"_s},
            {u"service"_s, u"ai-agent"_s},
            {u"version"_s, u"2.0.0-sim"_s},
            {u"uptime_seconds"_s, rounded(uptimeSeconds, 2)},
        });
}

// A well-formed answer for the faults that spoil one.
QByteArray faultSample(bool chat)
{
    if (chat)
        return compactJson(chatAnswerObject(u"This answer is complete and well formed, but it "
                                            u"comes from a simulated agent with a fault."_s,
            0, 1.0));
    return compactJson(repairAnswer(planRepair(u"minimal_single_tool"_s, {}), 0, 1.0));
}

// Starlette builds the location from the request's host header, keeping the query.
HttpResponse redirectResponse(
    const HttpRequest& request, const QByteArray& path, const QString& fallbackHost)
{
    QByteArray host = request.header("host");
    if (host.isEmpty())
        host = fallbackHost.toLatin1();
    QByteArray location = "http://" + host + path;
    if (const QByteArray query = request.query(); !query.isEmpty())
        location += '?' + query;

    HttpResponse response;
    response.status = 307;
    response.contentType.clear();
    response.headers.append({QByteArrayLiteral("location"), location});
    return response;
}

void setResetOnClose(QTcpSocket* socket)
{
#ifdef Q_OS_UNIX
    // Linger 0 makes close() send RST, so the client sees a reset and not a clean FIN.
    const linger option {1, 0};
    ::setsockopt(int(socket->socketDescriptor()), SOL_SOCKET, SO_LINGER, &option, sizeof option);
#else
    Q_UNUSED(socket);
#endif
}

enum class Route
{
    Root,
    Health,
    Chat,
    Repair,
    Status,
    Metrics,
    Prompts
};

struct RouteEntry
{
    QByteArrayView path;
    QByteArrayView method;
    Route route;
};

const RouteEntry* findRoute(QByteArrayView path)
{
    static const RouteEntry routes[] = {
        {"/", "GET", Route::Root},
        {"/health", "GET", Route::Health},
        {"/chat", "POST", Route::Chat},
        {"/repair", "POST", Route::Repair},
        {"/status", "GET", Route::Status},
        {"/metrics", "GET", Route::Metrics},
        {"/prompts", "GET", Route::Prompts},
    };
    for (const RouteEntry& entry : routes) {
        if (entry.path == path)
            return &entry;
    }
    return nullptr;
}

} // namespace

struct SimulatedAgent::Connection
{
    QTcpSocket* socket = nullptr;
    QTimer* idleTimer = nullptr;
    HttpRequestParser parser;
    HttpRequest current;
    bool busy = false; // between a complete request and its answer
    bool hung = false;
    bool closing = false;
};

struct SimulatedAgent::Job
{
    quint64 connection = 0;
    qint64 receivedAt = 0;
    qint64 durationMs = 0;
    std::function<HttpResponse(double latencySeconds)> answer;
};

struct SimulatedAgent::Lane
{
    std::deque<Job> waiting;
    std::optional<Job> running;
    QTimer* timer = nullptr;
    int requests = 0;
    int completed = 0;
    int failures = 0;
    double latencyTotal = 0.0;
};

SimulatedAgent::SimulatedAgent(QObject* parent)
    : QObject(parent)
    , m_server(new QTcpServer(this))
    , m_lanes(ModelCount)
{
    connect(m_server, &QTcpServer::newConnection, this, &SimulatedAgent::onNewConnection);
    for (int model = 0; model < ModelCount; ++model) {
        auto* timer = new QTimer(this);
        timer->setSingleShot(true);
        timer->setTimerType(Qt::PreciseTimer);
        connect(timer, &QTimer::timeout, this, [this, model] { finishJob(model); });
        m_lanes[model].timer = timer;
    }
    m_clock.start();
}

SimulatedAgent::~SimulatedAgent()
{
    close();
}

bool SimulatedAgent::listen(const QHostAddress& address, quint16 port)
{
    close();
    if (!m_server->listen(address, port)) {
        m_errorString = tr("Cannot listen on %1 port %2: %3")
                            .arg(address.toString())
                            .arg(port)
                            .arg(m_server->errorString());
        qCWarning(lcSim) << m_errorString;
        return false;
    }

    m_address = address;
    m_port = m_server->serverPort();
    m_listening = true;
    m_errorString.clear();
    m_clock.restart();
    if (m_fault == Fault::Refuse)
        m_server->close();
    qCDebug(lcSim) << "listening on" << url();
    return true;
}

void SimulatedAgent::close()
{
    m_server->close();
    m_listening = false;
    dropAllConnections();
    clearLanes();
}

QUrl SimulatedAgent::url() const
{
    if (m_port == 0)
        return {};

    QHostAddress host = m_address;
    if (host == QHostAddress::Any || host == QHostAddress::AnyIPv4)
        host = QHostAddress::LocalHost;
    else if (host == QHostAddress::AnyIPv6)
        host = QHostAddress::LocalHostIPv6;

    QUrl url;
    url.setScheme(u"http"_s);
    url.setHost(host.toString());
    url.setPort(m_port);
    return url;
}

void SimulatedAgent::setSpeed(double speed)
{
    m_speed = std::max(speed, 1e-6);
}

void SimulatedAgent::setFailureRate(double probability)
{
    m_failureRate = std::clamp(probability, 0.0, 1.0);
}

void SimulatedAgent::setAgentFailureRate(double probability)
{
    m_agentFailureRate = std::clamp(probability, 0.0, 1.0);
}

void SimulatedAgent::setSeed(quint64 seed)
{
    m_random.seed(seed);
}

void SimulatedAgent::setFault(Fault fault)
{
    const Fault previous = std::exchange(m_fault, fault);
    if (previous == fault)
        return;
    qCDebug(lcSim) << "fault" << faultName(fault);

    if (fault == Fault::Refuse) {
        // The agent process is gone: nothing accepts, nothing in flight survives.
        m_server->close();
        dropAllConnections();
        clearLanes();
        return;
    }
    if (previous == Fault::Refuse && m_listening && !m_server->listen(m_address, m_port)) {
        m_errorString = tr("Cannot listen again on %1 port %2: %3")
                            .arg(m_address.toString())
                            .arg(m_port)
                            .arg(m_server->errorString());
        qCWarning(lcSim) << m_errorString;
    }
}

void SimulatedAgent::setKeepAliveTimeout(int milliseconds)
{
    m_keepAliveTimeout = std::max(milliseconds, 1);
}

int SimulatedAgent::queuedCount(QChar model) const
{
    const Lane& lane = m_lanes[modelIndex(model)];
    return int(lane.waiting.size()) + (lane.running ? 1 : 0);
}

namespace {

struct FaultNameEntry
{
    SimulatedAgent::Fault fault;
    QStringView name;
};

constexpr FaultNameEntry FaultNameTable[] = {
    {SimulatedAgent::Fault::None, u"none"},
    {SimulatedAgent::Fault::Refuse, u"refuse"},
    {SimulatedAgent::Fault::Hang, u"hang"},
    {SimulatedAgent::Fault::ResetBeforeAnswer, u"reset-before-answer"},
    {SimulatedAgent::Fault::ResetMidBody, u"reset-mid-body"},
    {SimulatedAgent::Fault::Http500, u"http-500"},
    {SimulatedAgent::Fault::Http422, u"http-422"},
    {SimulatedAgent::Fault::Http502, u"http-502"},
    {SimulatedAgent::Fault::NotJson, u"not-json"},
    {SimulatedAgent::Fault::TruncatedJson, u"truncated-json"},
    {SimulatedAgent::Fault::WrongShape, u"wrong-shape"},
    {SimulatedAgent::Fault::EmptyBody, u"empty-body"},
    {SimulatedAgent::Fault::Redirect307, u"redirect-307"},
    {SimulatedAgent::Fault::RepairFailure, u"repair-failure"},
};

} // namespace

QString SimulatedAgent::faultName(Fault fault)
{
    for (const FaultNameEntry& entry : FaultNameTable) {
        if (entry.fault == fault)
            return entry.name.toString();
    }
    return {};
}

std::optional<SimulatedAgent::Fault> SimulatedAgent::faultFromName(QStringView name)
{
    for (const FaultNameEntry& entry : FaultNameTable) {
        if (entry.name.compare(name, Qt::CaseInsensitive) == 0)
            return entry.fault;
    }
    return std::nullopt;
}

QStringList SimulatedAgent::faultNames()
{
    QStringList names;
    for (const FaultNameEntry& entry : FaultNameTable)
        names.append(entry.name.toString());
    return names;
}

QString SimulatedAgent::modelName(QChar model)
{
    return modelIndex(model) == 1 ? u"ministral-3:8b-instruct-2512-q8_0"_s
                                  : u"mistral:7b-instruct-v0.3"_s;
}

SimulatedAgent::Connection* SimulatedAgent::connection(quint64 id) const
{
    const auto found = m_connections.find(id);
    return found == m_connections.end() ? nullptr : found->second.get();
}

void SimulatedAgent::onNewConnection()
{
    while (QTcpSocket* socket = m_server->nextPendingConnection()) {
        socket->setParent(this);
        const quint64 id = ++m_lastConnectionId;
        ++m_connectionCount;

        auto entry = std::make_unique<Connection>();
        entry->socket = socket;
        entry->idleTimer = new QTimer(socket);
        entry->idleTimer->setSingleShot(true);
        connect(socket, &QTcpSocket::readyRead, this, [this, id] { onReadyRead(id); });
        connect(socket, &QTcpSocket::disconnected, this, [this, id] { dropConnection(id); });
        connect(entry->idleTimer, &QTimer::timeout, this, [this, id] {
            // uvicorn's timeout_keep_alive: an idle connection is closed by the server.
            if (Connection* idle = connection(id); idle && !idle->busy) {
                qCDebug(lcSim) << "closing idle connection" << id;
                idle->closing = true;
                idle->socket->disconnectFromHost();
            }
        });
        armIdleTimer(entry.get());
        m_connections.emplace(id, std::move(entry));
    }
}

void SimulatedAgent::onReadyRead(quint64 id)
{
    Connection* entry = connection(id);
    if (!entry)
        return;

    const QByteArray data = entry->socket->readAll();
    if (entry->hung || entry->closing)
        return;
    entry->idleTimer->stop();
    entry->parser.feed(data);
    processBuffered(id);
}

void SimulatedAgent::processBuffered(quint64 id)
{
    Connection* entry = connection(id);
    if (!entry || entry->busy || entry->hung || entry->closing)
        return;

    HttpRequest request;
    switch (entry->parser.next(request)) {
    case HttpRequestParser::Result::NeedMore:
        armIdleTimer(entry);
        return;
    case HttpRequestParser::Result::Error: {
        qCDebug(lcSim) << "bad request on connection" << id << entry->parser.errorString();
        const int status = entry->parser.errorStatus();
        HttpResponse response = HttpResponse::plainText(status,
            status == 400 ? QByteArrayLiteral("Invalid HTTP request received.")
                          : HttpResponse::reasonPhrase(status));
        response.closeConnection = true;
        entry->closing = true;
        ++m_statusCounts[status];
        entry->socket->write(response.toByteArray());
        entry->socket->disconnectFromHost();
        return;
    }
    case HttpRequestParser::Result::Ready:
        break;
    }

    entry->busy = true;
    entry->current = request;
    ++m_requestCount;
    Q_EMIT requestReceived(
        QString::fromLatin1(request.method), QString::fromLatin1(request.target), request.body);
    if (connection(id))
        dispatch(id, request);
}

void SimulatedAgent::armIdleTimer(Connection* entry)
{
    entry->idleTimer->start(m_keepAliveTimeout);
}

void SimulatedAgent::dropConnection(quint64 id)
{
    const auto found = m_connections.find(id);
    if (found == m_connections.end())
        return;

    const std::unique_ptr<Connection> entry = std::move(found->second);
    m_connections.erase(found);
    entry->idleTimer->stop();
    entry->socket->disconnect(this);
    entry->socket->deleteLater();
}

void SimulatedAgent::dropAllConnections()
{
    // abort() can emit disconnected() at once; detach each socket before aborting it.
    auto connections = std::exchange(m_connections, {});
    for (auto& [id, entry] : connections) {
        entry->idleTimer->stop();
        entry->socket->disconnect(this);
        entry->socket->abort();
        entry->socket->deleteLater();
    }
}

void SimulatedAgent::send(quint64 id, HttpResponse response)
{
    Connection* entry = connection(id);
    if (!entry) {
        qCDebug(lcSim) << "client of connection" << id << "left before its answer";
        return;
    }

    const HttpRequest& request = entry->current;
    const bool close = response.closeConnection || !request.keepAlive();
    const QString method = QString::fromLatin1(request.method);
    const QString target = QString::fromLatin1(request.target);
    response.closeConnection = close;
    // As h11 does for HEAD: the headers describe the body, which is not sent.
    entry->socket->write(request.method == "HEAD" ? response.head() : response.toByteArray());
    entry->busy = false;
    ++m_statusCounts[response.status];

    if (close) {
        entry->closing = true;
        entry->socket->disconnectFromHost(); // may drop the connection at once
    } else {
        QMetaObject::invokeMethod(
            this, [this, id] { processBuffered(id); }, Qt::QueuedConnection);
    }
    Q_EMIT requestAnswered(method, target, response.status);
}

void SimulatedAgent::reset(quint64 id, const QByteArray& partial)
{
    const auto found = m_connections.find(id);
    if (found == m_connections.end())
        return;

    const std::unique_ptr<Connection> entry = std::move(found->second);
    m_connections.erase(found);
    QTcpSocket* socket = entry->socket;
    entry->idleTimer->stop();
    socket->disconnect(this);
    if (!partial.isEmpty()) {
        socket->write(partial);
        socket->flush();
    }
    setResetOnClose(socket);
    socket->abort();
    socket->deleteLater();
    Q_EMIT requestAnswered(
        QString::fromLatin1(entry->current.method), QString::fromLatin1(entry->current.target), 0);
}

void SimulatedAgent::dispatch(quint64 id, const HttpRequest& request)
{
    if (m_fault == Fault::Hang) {
        connection(id)->hung = true;
        return;
    }

    const QByteArray path = QByteArray::fromPercentEncoding(request.path());
    const RouteEntry* route = findRoute(path);
    if (!route) {
        // Starlette's redirect_slashes: /chat/ is redirected to /chat, whatever the method.
        if (path.size() > 1 && path.endsWith('/') && findRoute(path.chopped(1)))
            send(id, redirectResponse(request, request.path().chopped(1), url().authority()));
        else
            send(id, detailResponse(404, u"Not Found"_s));
        return;
    }
    if (request.method != route->method) {
        HttpResponse response = detailResponse(405, u"Method Not Allowed"_s);
        response.headers.append({QByteArrayLiteral("allow"), route->method.toByteArray()});
        send(id, response);
        return;
    }

    const bool modelRoute = route->route == Route::Chat || route->route == Route::Repair;
    if (modelRoute && m_fault != Fault::None && m_fault != Fault::RepairFailure) {
        answerWithFault(id, route->route == Route::Chat, request);
        return;
    }

    switch (route->route) {
    case Route::Root:
        send(id, rootResponse());
        return;
    case Route::Health:
        send(id, healthResponse(uptimeSeconds()));
        return;
    case Route::Chat:
        handleChat(id, request);
        return;
    case Route::Repair:
        handleRepair(id, request);
        return;
    case Route::Status:
        send(id, statusResponse());
        return;
    case Route::Metrics:
        send(id, metricsResponse());
        return;
    case Route::Prompts:
        send(id, promptsResponse());
        return;
    }
}

void SimulatedAgent::answerWithFault(quint64 id, bool chat, const HttpRequest& request)
{
    HttpResponse response;
    switch (m_fault) {
    case Fault::ResetBeforeAnswer:
        reset(id, {});
        return;
    case Fault::ResetMidBody:
        response.body = faultSample(chat);
        reset(id, response.head() + response.body.left(response.body.size() / 2));
        return;
    case Fault::Http500:
        response = detailResponse(500,
            chat ? u"Chat failed: simulated fault"_s
                 : u"Repair workflow failed: simulated fault"_s);
        break;
    case Fault::Http422:
        response = validationResponse(
            {chat ? missingMessageError() : modelChoiceError(u"query"_s, u"c"_s)});
        break;
    case Fault::Http502:
        response = detailResponse(502, u"Bad Gateway"_s);
        break;
    case Fault::NotJson:
        response.contentType = QByteArrayLiteral("text/html; charset=utf-8");
        response.body = QByteArrayLiteral("<html><head><title>Service unavailable</title></head>"
                                          "<body><h1>The service is restarting</h1></body></html>");
        break;
    case Fault::TruncatedJson: {
        const QByteArray sample = faultSample(chat);
        response.body = sample.left(sample.size() / 2);
        break;
    }
    case Fault::WrongShape:
        response = jsonResponse(200, {{u"answer"_s, u"x"_s}});
        break;
    case Fault::EmptyBody:
        break;
    case Fault::Redirect307:
        response = redirectResponse(request, request.path() + '/', url().authority());
        break;
    case Fault::None:
    case Fault::Refuse:
    case Fault::Hang:
    case Fault::RepairFailure:
        return;
    }
    send(id, response);
}

void SimulatedAgent::handleChat(quint64 id, const HttpRequest& request)
{
    HttpResponse rejection;
    const std::optional<ChatInput> input = validateChat(request, &rejection);
    if (!input) {
        send(id, rejection);
        return;
    }

    const bool fails = nextUniform() < m_failureRate;
    const double slowdown = input->model == 1 ? ModelBSlowdown : 1.0;
    const double seconds = (4.0 + 8.0 * nextUniform()) * slowdown;
    const quint64 variant = m_random();
    const int model = input->model;
    const QString answer = chatAnswer(input->message, variant);

    Job job;
    job.connection = id;
    job.durationMs = scaledMilliseconds(seconds);
    job.answer = [fails, model, answer](double latency) {
        if (fails)
            return detailResponse(500,
                u"Chat failed: Ollama returned an error for model %1: simulated inference "
                u"failure"_s.arg(modelKey(model)));
        return jsonResponse(200, chatAnswerObject(answer, model, latency));
    };
    enqueue(model, std::move(job));
}

void SimulatedAgent::handleRepair(quint64 id, const HttpRequest& request)
{
    // Starlette decodes the query like a form: '+' is a space.
    const QUrlQuery query(QString::fromUtf8(request.query()).replace(u'+', u' '));
    const QStringList models = query.allQueryItemValues(u"model"_s, QUrl::FullyDecoded);
    const QStringList workflows = query.allQueryItemValues(u"workflow"_s, QUrl::FullyDecoded);
    const QString modelValue = models.isEmpty() ? u"a"_s : models.last();
    if (modelValue != u"a"_s && modelValue != u"b"_s) {
        send(id, validationResponse({modelChoiceError(u"query"_s, modelValue)}));
        return;
    }

    const QString workflow = workflows.isEmpty() ? QString() : workflows.last();
    if (!workflow.isEmpty() && !KnownWorkflows.contains(workflow)) {
        send(id,
            detailResponse(500, u"Repair workflow failed: unknown workflow %1"_s.arg(workflow)));
        return;
    }

    RepairDraws draws;
    draws.failure = nextUniform();
    draws.agentFailure = nextUniform();
    draws.duration = nextUniform();
    draws.degraded = nextUniform();
    draws.toolCount = nextUniform();
    draws.service = nextUniform();

    const int model = modelIndex(modelValue.at(0));
    const bool fails = draws.failure < m_failureRate;
    RepairPlan plan = planRepair(workflow, draws);
    if (m_fault == Fault::RepairFailure || draws.agentFailure < m_agentFailureRate)
        failLastStep(plan);

    Job job;
    job.connection = id;
    job.durationMs = scaledMilliseconds(plan.seconds * (model == 1 ? ModelBSlowdown : 1.0));
    job.answer = [fails, model, plan, workflow](double latency) {
        if (fails)
            return detailResponse(500,
                u"Repair workflow failed: MCP server error while running %1"_s.arg(
                    workflow.isEmpty() ? u"the open-ended workflow"_s : workflow));
        return jsonResponse(200, repairAnswer(plan, model, latency));
    };
    enqueue(model, std::move(job));
}

HttpResponse SimulatedAgent::statusResponse() const
{
    QJsonObject models;
    for (int model = 0; model < ModelCount; ++model) {
        const Lane& lane = m_lanes[model];
        models.insert(modelKey(model),
            QJsonObject {
                {u"model"_s, modelName(modelKey(model).at(0))},
                {u"requests"_s, lane.requests},
                {u"completed"_s, lane.completed},
                {u"failures"_s, lane.failures},
                {u"busy"_s, lane.running.has_value()},
                {u"queued"_s, qint64(lane.waiting.size())},
            });
    }
    return jsonResponse(200,
        {
            {u"status"_s, u"running"_s},
            {u"uptime_seconds"_s, rounded(uptimeSeconds(), 2)},
            {u"models"_s, models},
        });
}

HttpResponse SimulatedAgent::metricsResponse() const
{
    int completed = 0;
    double latencyTotal = 0.0;
    for (const Lane& lane : m_lanes) {
        completed += lane.completed;
        latencyTotal += lane.latencyTotal;
    }
    QJsonObject statuses;
    for (auto it = m_statusCounts.cbegin(); it != m_statusCounts.cend(); ++it)
        statuses.insert(QString::number(it.key()), it.value());

    return jsonResponse(200,
        {
            {u"total_requests"_s, m_requestCount},
            {u"connections_accepted"_s, m_connectionCount},
            {u"inferences_completed"_s, completed},
            {u"average_latency_seconds"_s,
                completed == 0 ? 0.0 : rounded(latencyTotal / completed, 3)},
            {u"responses_by_status"_s, statuses},
            {u"uptime_seconds"_s, rounded(uptimeSeconds(), 2)},
        });
}

void SimulatedAgent::enqueue(int model, Job job)
{
    job.receivedAt = m_clock.elapsed();
    Lane& lane = m_lanes[model];
    ++lane.requests;
    lane.waiting.push_back(std::move(job));
    startNext(model);
}

void SimulatedAgent::startNext(int model)
{
    Lane& lane = m_lanes[model];
    if (lane.running || lane.waiting.empty())
        return;

    lane.running = std::move(lane.waiting.front());
    lane.waiting.pop_front();
    lane.timer->start(
        int(std::min<qint64>(lane.running->durationMs, std::numeric_limits<int>::max())));
}

void SimulatedAgent::finishJob(int model)
{
    Lane& lane = m_lanes[model];
    if (!lane.running)
        return;

    Job job = std::move(*lane.running);
    lane.running.reset();
    // The agent's latency_seconds includes the time spent queued behind the model.
    const double latency = double(m_clock.elapsed() - job.receivedAt) / 1000.0;
    HttpResponse response = job.answer(latency);
    ++lane.completed;
    lane.latencyTotal += latency;
    if (response.status >= 500)
        ++lane.failures;

    startNext(model);
    send(job.connection, std::move(response));
}

void SimulatedAgent::clearLanes()
{
    for (Lane& lane : m_lanes) {
        lane.timer->stop();
        lane.running.reset();
        lane.waiting.clear();
    }
}

// 53 random bits into [0, 1), the same on every platform for a given seed.
double SimulatedAgent::nextUniform()
{
    return double(m_random() >> 11) * (1.0 / 9007199254740992.0);
}

qint64 SimulatedAgent::scaledMilliseconds(double seconds) const
{
    return std::max<qint64>(0, std::llround(seconds * 1000.0 / m_speed));
}

double SimulatedAgent::uptimeSeconds() const
{
    return double(m_clock.elapsed()) / 1000.0;
}

} // namespace aimload
