#include "prompts/promptpool.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <random>

using namespace Qt::StringLiterals;
using aimload::Endpoint;
using aimload::Prompt;
using aimload::PromptPool;

namespace {

// Upper critical values of the chi-square distribution for p = 0.001.
constexpr double ChiSquare001Dof2 = 13.816;
constexpr double ChiSquare001Dof4 = 18.467;
constexpr double ChiSquare001Dof6 = 22.458;

constexpr int SampleSize = 100000;
constexpr quint64 SampleSeed = 20240611;

QJsonObject validPrompt(const QString& id = u"p1"_s)
{
    return QJsonObject {
        {u"id"_s, id},
        {u"description"_s, u"A prompt"_s},
        {u"text"_s, u"Hello"_s},
        {u"endpoint"_s, u"/chat"_s},
        {u"expected_tool_calls"_s, 0},
        {u"expect_success"_s, true},
    };
}

QJsonObject validGroup(const QString& name = u"g"_s, double weight = 1.0,
    const QJsonArray& prompts = QJsonArray {validPrompt()})
{
    return QJsonObject {{u"name"_s, name}, {u"weight"_s, weight}, {u"prompts"_s, prompts}};
}

QJsonObject validRoot(const QJsonArray& groups = QJsonArray {validGroup()})
{
    return QJsonObject {{u"version"_s, 1}, {u"groups"_s, groups}};
}

// A copy of object with key set to value, or removed when value is undefined.
QJsonObject with(QJsonObject object, const QString& key, const QJsonValue& value)
{
    if (value.isUndefined())
        object.remove(key);
    else
        object.insert(key, value);
    return object;
}

QByteArray json(const QJsonObject& root)
{
    return QJsonDocument(root).toJson(QJsonDocument::Compact);
}

QByteArray poolWithPrompt(const QJsonObject& prompt)
{
    return json(validRoot({validGroup(u"g"_s, 1.0, {prompt})}));
}

QByteArray poolWithGroup(const QJsonObject& group)
{
    return json(validRoot({group}));
}

std::optional<PromptPool> poolFrom(const QByteArray& document, QString* error)
{
    return PromptPool::fromJson(document, u"test.json"_s, error);
}

QStringList pickIds(const PromptPool& pool, quint64 seed, int count)
{
    std::mt19937_64 rng(seed);
    QStringList ids;
    for (int i = 0; i < count; ++i)
        ids += pool.pick(rng).id;
    return ids;
}

double chiSquare(const QList<int>& observed, const QList<double>& expected)
{
    double sum = 0.0;
    for (qsizetype i = 0; i < observed.size(); ++i) {
        const double difference = observed.at(i) - expected.at(i);
        sum += difference * difference / expected.at(i);
    }
    return sum;
}

} // namespace

class TestPromptPool : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void defaultPoolShape();
    void defaultGroups_data();
    void defaultGroups();
    void defaultSeedTexts_data();
    void defaultSeedTexts();
    void defaultEmptyPrompt();
    void defaultPromptsWellFormed();

    void rejects_data();
    void rejects();
    void accepts_data();
    void accepts();
    void errorIsOptional();

    void loadMissingFile();
    void loadDirectory();
    void loadTooLargeFile();
    void loadFile();

    void findPrompt();
    void summary_data();
    void summary();

    void groupFrequencies_data();
    void groupFrequencies();
    void promptFrequencies_data();
    void promptFrequencies();
    void sameSeedSameSequence();
    void differentSeedDifferentSequence();
    void knownSequence();
    void singleGroupWithFractionalWeight();

private:
    std::optional<PromptPool> m_defaultPool;
};

void TestPromptPool::initTestCase()
{
    QString error;
    m_defaultPool = PromptPool::load(PromptPool::defaultPoolPath(), &error);
    QVERIFY2(m_defaultPool, qPrintable(error));
}

void TestPromptPool::defaultPoolShape()
{
    const PromptPool& pool = *m_defaultPool;

    QCOMPARE(pool.promptCount(), 19);
    QCOMPARE(pool.groups().size(), 7);
    QCOMPARE(pool.totalWeight(), 100.0);
    QCOMPARE(pool.source(), PromptPool::defaultPoolPath());
    QVERIFY(!pool.isEmpty());
    QCOMPARE(pool.summary(),
        u"19 prompts in 7 groups: mcp_healthy 1 (10%), mcp_degraded 1 (5%), simple_chat 5 (35%), "
        "complex_chat 5 (30%), error_scenarios 3 (10%), boundary_tests 3 (8%), "
        "abusive_language 1 (2%)"_s);
}

void TestPromptPool::defaultGroups_data()
{
    QTest::addColumn<int>("index");
    QTest::addColumn<QString>("name");
    QTest::addColumn<double>("weight");
    QTest::addColumn<int>("prompts");

    QTest::newRow("mcp_healthy") << 0 << u"mcp_healthy"_s << 10.0 << 1;
    QTest::newRow("mcp_degraded") << 1 << u"mcp_degraded"_s << 5.0 << 1;
    QTest::newRow("simple_chat") << 2 << u"simple_chat"_s << 35.0 << 5;
    QTest::newRow("complex_chat") << 3 << u"complex_chat"_s << 30.0 << 5;
    QTest::newRow("error_scenarios") << 4 << u"error_scenarios"_s << 10.0 << 3;
    QTest::newRow("boundary_tests") << 5 << u"boundary_tests"_s << 8.0 << 3;
    QTest::newRow("abusive_language") << 6 << u"abusive_language"_s << 2.0 << 1;
}

void TestPromptPool::defaultGroups()
{
    QFETCH(int, index);
    QFETCH(QString, name);
    QFETCH(double, weight);
    QFETCH(int, prompts);

    const PromptPool& pool = *m_defaultPool;
    const aimload::PromptGroup& group = pool.groups().at(index);
    QCOMPARE(group.name, name);
    QCOMPARE(group.weight, weight);
    QCOMPARE(group.prompts.size(), prompts);
}

void TestPromptPool::defaultSeedTexts_data()
{
    QTest::addColumn<QString>("id");
    QTest::addColumn<QString>("group");
    QTest::addColumn<QString>("text");
    QTest::addColumn<Endpoint>("endpoint");
    QTest::addColumn<QString>("workflow");
    QTest::addColumn<int>("toolCalls");

    QTest::newRow("mcp_health_check")
        << u"mcp_health_check"_s << u"mcp_healthy"_s << u"Check the current system health status"_s
        << Endpoint::Repair << u"minimal_single_tool"_s << 1;
    QTest::newRow("mcp_full_repair")
        << u"mcp_full_repair"_s << u"mcp_degraded"_s << u"Perform a complete repair workflow"_s
        << Endpoint::Repair << u"forced_full_repair"_s << 3;
    QTest::newRow("simple_greeting")
        << u"simple_greeting"_s << u"simple_chat"_s << u"Hello! What can you help me with?"_s
        << Endpoint::Chat << QString() << 0;
    QTest::newRow("simple_capabilities")
        << u"simple_capabilities"_s << u"simple_chat"_s << u"What tools do you have access to?"_s
        << Endpoint::Chat << QString() << 0;
    QTest::newRow("simple_diagnosis")
        << u"simple_diagnosis"_s << u"simple_chat"_s
        << u"Explain how you diagnose system failures"_s << Endpoint::Chat << QString() << 0;
    QTest::newRow("simple_model_difference")
        << u"simple_model_difference"_s << u"simple_chat"_s
        << u"What's the difference between Model A and Model B?"_s << Endpoint::Chat << QString()
        << 0;
    QTest::newRow("simple_thanks")
        << u"simple_thanks"_s << u"simple_chat"_s << u"Thank you for your help!"_s << Endpoint::Chat
        << QString() << 0;
}

void TestPromptPool::defaultSeedTexts()
{
    QFETCH(QString, id);
    QFETCH(QString, group);
    QFETCH(QString, text);
    QFETCH(Endpoint, endpoint);
    QFETCH(QString, workflow);
    QFETCH(int, toolCalls);

    const PromptPool& pool = *m_defaultPool;
    const Prompt* prompt = pool.findPrompt(id);
    QVERIFY(prompt);
    QCOMPARE(prompt->group, group);
    QCOMPARE(prompt->text, text);
    QCOMPARE(prompt->endpoint, endpoint);
    QCOMPARE(prompt->workflow, workflow);
    QCOMPARE(prompt->expectedToolCalls, toolCalls);
    QVERIFY(prompt->expectSuccess);
}

void TestPromptPool::defaultEmptyPrompt()
{
    const PromptPool& pool = *m_defaultPool;
    const Prompt* prompt = pool.findPrompt(u"error_empty_prompt"_s);

    QVERIFY(prompt);
    QCOMPARE(prompt->group, u"error_scenarios"_s);
    QCOMPARE(prompt->text.size(), 0);
    QVERIFY(!prompt->expectSuccess);
}

void TestPromptPool::defaultPromptsWellFormed()
{
    const QRegularExpression snakeCase(u"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"_s);
    const PromptPool& pool = *m_defaultPool;

    for (const aimload::PromptGroup& group : pool.groups()) {
        QVERIFY2(snakeCase.match(group.name).hasMatch(), qPrintable(group.name));
        for (const Prompt& prompt : group.prompts) {
            QVERIFY2(snakeCase.match(prompt.id).hasMatch(), qPrintable(prompt.id));
            QCOMPARE(prompt.group, group.name);
            QVERIFY(!prompt.description.isEmpty());
            QCOMPARE(prompt.workflow.isEmpty(), prompt.endpoint == Endpoint::Chat);
            if (prompt.id != u"error_empty_prompt"_s)
                QVERIFY2(prompt.text.size() > 10, qPrintable(prompt.id));
        }
    }
}

void TestPromptPool::rejects_data()
{
    QTest::addColumn<QByteArray>("document");
    QTest::addColumn<QString>("where");
    QTest::addColumn<QString>("phrase");

    const QJsonObject prompt = validPrompt();
    const QJsonObject group = validGroup();
    const QJsonObject root = validRoot();
    const QJsonObject repair = with(prompt, u"endpoint"_s, u"/repair"_s);
    const QJsonValue absent(QJsonValue::Undefined);

    QTest::newRow("missing_comma") << QByteArray("{\n  \"version\": 1\n  \"groups\": []\n}")
                                   << u"line 3, column 4"_s << u"unterminated object"_s;
    QTest::newRow("trailing_comma")
        << QByteArray("{\"version\": 1,}") << u"line 1, column 16"_s << u"after a comma"_s;
    QTest::newRow("empty_document") << QByteArray() << u"line 1, column 1"_s << u"illegal value"_s;
    QTest::newRow("two_documents")
        << QByteArray("{}\n{}") << u"line 2, column 1"_s << u"garbage at the end"_s;
    // Two two-byte characters precede the error: counting bytes would give column 21.
    QTest::newRow("column_counts_characters")
        << QByteArray("{\"groups\": [\"\xC3\xA9\xC3\xA9\" 1]}") << u"line 1, column 19"_s
        << u"missing value separator"_s;

    QTest::newRow("top_level_array")
        << QByteArray("[]") << u"top level"_s << u"expected a JSON object"_s;
    QTest::newRow("unknown_top_level_key")
        << json(with(root, u"groupz"_s, 1)) << u"top level"_s << u"unknown key \"groupz\""_s;
    QTest::newRow("missing_version")
        << json(with(root, u"version"_s, absent)) << u"top level"_s << u"missing key \"version\""_s;
    QTest::newRow("version_string") << json(with(root, u"version"_s, u"1"_s)) << u"top level"_s
                                    << u"\"version\" must be a number, not a string"_s;
    QTest::newRow("unsupported_version")
        << json(with(root, u"version"_s, 2)) << u"top level"_s << u"unsupported version 2"_s;
    QTest::newRow("missing_groups")
        << json(with(root, u"groups"_s, absent)) << u"top level"_s << u"missing key \"groups\""_s;
    QTest::newRow("groups_not_array")
        << json(with(root, u"groups"_s, QJsonObject())) << u"top level"_s
        << u"\"groups\" must be an array, not an object"_s;
    QTest::newRow("no_groups") << json(with(root, u"groups"_s, QJsonArray())) << u"top level"_s
                               << u"\"groups\" is empty"_s;

    QTest::newRow("group_not_object") << json(with(root, u"groups"_s, QJsonArray {1}))
                                      << u"groups[0]"_s << u"expected an object, not a number"_s;
    QTest::newRow("group_missing_name") << poolWithGroup(with(group, u"name"_s, absent))
                                        << u"groups[0]"_s << u"missing key \"name\""_s;
    QTest::newRow("group_empty_name") << poolWithGroup(with(group, u"name"_s, u""_s))
                                      << u"groups[0]"_s << u"\"name\" must not be empty"_s;
    QTest::newRow("group_name_not_string")
        << poolWithGroup(with(group, u"name"_s, 5)) << u"groups[0]"_s
        << u"\"name\" must be a string, not a number"_s;
    QTest::newRow("second_group_indexed")
        << json(validRoot({group, QJsonObject()})) << u"groups[1]"_s << u"missing key \"name\""_s;
    QTest::newRow("group_unknown_key") << poolWithGroup(with(group, u"wieght"_s, 1))
                                       << u"group \"g\""_s << u"unknown key \"wieght\""_s;
    QTest::newRow("weight_missing") << poolWithGroup(with(group, u"weight"_s, absent))
                                    << u"group \"g\""_s << u"missing key \"weight\""_s;
    QTest::newRow("weight_string")
        << poolWithGroup(with(group, u"weight"_s, u"10"_s)) << u"group \"g\""_s
        << u"\"weight\" must be a number, not a string"_s;
    QTest::newRow("weight_zero") << poolWithGroup(with(group, u"weight"_s, 0)) << u"group \"g\""_s
                                 << u"\"weight\" must be a positive number, not 0"_s;
    QTest::newRow("weight_negative")
        << poolWithGroup(with(group, u"weight"_s, -5)) << u"group \"g\""_s
        << u"\"weight\" must be a positive number, not -5"_s;
    QTest::newRow("weights_overflow") << json(
        validRoot({validGroup(u"a"_s, 1e308), validGroup(u"b"_s, 1e308, {validPrompt(u"p2"_s)})}))
                                      << u"top level"_s << u"too large"_s;
    QTest::newRow("prompts_missing") << poolWithGroup(with(group, u"prompts"_s, absent))
                                     << u"group \"g\""_s << u"missing key \"prompts\""_s;
    QTest::newRow("prompts_not_array")
        << poolWithGroup(with(group, u"prompts"_s, u"p1"_s)) << u"group \"g\""_s
        << u"\"prompts\" must be an array, not a string"_s;
    QTest::newRow("empty_group") << poolWithGroup(with(group, u"prompts"_s, QJsonArray()))
                                 << u"group \"g\""_s << u"\"prompts\" is empty"_s;
    QTest::newRow("duplicate_group_name")
        << json(validRoot({group, validGroup(u"g"_s, 2.0, {validPrompt(u"p2"_s)})}))
        << u"group \"g\""_s << u"duplicate name, already used by groups[0]"_s;

    QTest::newRow("prompt_not_object")
        << json(validRoot({with(group, u"prompts"_s, QJsonArray {u"hi"_s})}))
        << u"groups[0].prompts[0]"_s << u"expected an object, not a string"_s;
    QTest::newRow("prompt_missing_id") << poolWithPrompt(with(prompt, u"id"_s, absent))
                                       << u"groups[0].prompts[0]"_s << u"missing key \"id\""_s;
    QTest::newRow("prompt_empty_id") << poolWithPrompt(with(prompt, u"id"_s, u""_s))
                                     << u"groups[0].prompts[0]"_s << u"\"id\" must not be empty"_s;
    QTest::newRow("prompt_blank_id") << poolWithPrompt(with(prompt, u"id"_s, u"  "_s))
                                     << u"groups[0].prompts[0]"_s << u"\"id\" must not be empty"_s;
    QTest::newRow("prompt_id_not_string")
        << poolWithPrompt(with(prompt, u"id"_s, 7)) << u"groups[0].prompts[0]"_s
        << u"\"id\" must be a string, not a number"_s;
    QTest::newRow("second_prompt_indexed")
        << json(validRoot({validGroup(u"g"_s, 1.0, {prompt, QJsonObject()})}))
        << u"groups[0].prompts[1]"_s << u"missing key \"id\""_s;
    QTest::newRow("missing_description") << poolWithPrompt(with(prompt, u"description"_s, absent))
                                         << u"prompt \"p1\""_s << u"missing key \"description\""_s;
    QTest::newRow("empty_description")
        << poolWithPrompt(with(prompt, u"description"_s, u""_s)) << u"prompt \"p1\""_s
        << u"\"description\" must not be empty"_s;
    QTest::newRow("missing_text") << poolWithPrompt(with(prompt, u"text"_s, absent))
                                  << u"prompt \"p1\""_s << u"missing key \"text\""_s;
    QTest::newRow("text_null") << poolWithPrompt(with(prompt, u"text"_s, QJsonValue::Null))
                               << u"prompt \"p1\""_s << u"\"text\" must be a string, not null"_s;
    QTest::newRow("missing_endpoint") << poolWithPrompt(with(prompt, u"endpoint"_s, absent))
                                      << u"prompt \"p1\""_s << u"missing key \"endpoint\""_s;
    QTest::newRow("endpoint_not_string")
        << poolWithPrompt(with(prompt, u"endpoint"_s, true)) << u"prompt \"p1\""_s
        << u"\"endpoint\" must be a string, not a boolean"_s;
    QTest::newRow("unknown_endpoint")
        << poolWithPrompt(with(prompt, u"endpoint"_s, u"/health"_s)) << u"prompt \"p1\""_s
        << u"unknown endpoint \"/health\" (accepted: \"/chat\", \"/repair\")"_s;
    QTest::newRow("endpoint_without_slash")
        << poolWithPrompt(with(prompt, u"endpoint"_s, u"chat"_s)) << u"prompt \"p1\""_s
        << u"unknown endpoint \"chat\""_s;
    QTest::newRow("repair_without_workflow") << poolWithPrompt(repair) << u"prompt \"p1\""_s
                                             << u"endpoint \"/repair\" needs a \"workflow\""_s;
    QTest::newRow("repair_null_workflow")
        << poolWithPrompt(with(repair, u"workflow"_s, QJsonValue::Null)) << u"prompt \"p1\""_s
        << u"endpoint \"/repair\" needs a \"workflow\""_s;
    QTest::newRow("repair_empty_workflow")
        << poolWithPrompt(with(repair, u"workflow"_s, u""_s)) << u"prompt \"p1\""_s
        << u"\"workflow\" must not be empty"_s;
    QTest::newRow("repair_workflow_not_string")
        << poolWithPrompt(with(repair, u"workflow"_s, 3)) << u"prompt \"p1\""_s
        << u"\"workflow\" must be a string, not a number"_s;
    QTest::newRow("workflow_on_chat")
        << poolWithPrompt(with(prompt, u"workflow"_s, u"minimal_single_tool"_s))
        << u"prompt \"p1\""_s << u"\"workflow\" is only allowed with endpoint \"/repair\""_s;
    QTest::newRow("empty_workflow_on_chat")
        << poolWithPrompt(with(prompt, u"workflow"_s, u""_s)) << u"prompt \"p1\""_s
        << u"\"workflow\" is only allowed with endpoint \"/repair\""_s;
    QTest::newRow("missing_tool_calls")
        << poolWithPrompt(with(prompt, u"expected_tool_calls"_s, absent)) << u"prompt \"p1\""_s
        << u"missing key \"expected_tool_calls\""_s;
    QTest::newRow("tool_calls_string")
        << poolWithPrompt(with(prompt, u"expected_tool_calls"_s, u"1"_s)) << u"prompt \"p1\""_s
        << u"\"expected_tool_calls\" must be a number, not a string"_s;
    QTest::newRow("negative_tool_calls")
        << poolWithPrompt(with(prompt, u"expected_tool_calls"_s, -1)) << u"prompt \"p1\""_s
        << u"\"expected_tool_calls\" must be 0 or more, not -1"_s;
    QTest::newRow("fractional_tool_calls")
        << poolWithPrompt(with(prompt, u"expected_tool_calls"_s, 1.5)) << u"prompt \"p1\""_s
        << u"\"expected_tool_calls\" must be a whole number, not 1.5"_s;
    QTest::newRow("huge_tool_calls")
        << poolWithPrompt(with(prompt, u"expected_tool_calls"_s, 1e10)) << u"prompt \"p1\""_s
        << u"\"expected_tool_calls\" is too large"_s;
    QTest::newRow("missing_expect_success")
        << poolWithPrompt(with(prompt, u"expect_success"_s, absent)) << u"prompt \"p1\""_s
        << u"missing key \"expect_success\""_s;
    QTest::newRow("expect_success_string")
        << poolWithPrompt(with(prompt, u"expect_success"_s, u"yes"_s)) << u"prompt \"p1\""_s
        << u"\"expect_success\" must be a boolean, not a string"_s;
    QTest::newRow("unknown_prompt_key")
        << poolWithPrompt(with(with(prompt, u"endpoint"_s, absent), u"endpiont"_s, u"/chat"_s))
        << u"prompt \"p1\""_s << u"unknown key \"endpiont\""_s;
    QTest::newRow("duplicate_id_in_group")
        << json(validRoot({validGroup(u"g"_s, 1.0, {prompt, prompt})})) << u"prompt \"p1\""_s
        << u"duplicate id, already used in group \"g\""_s;
    QTest::newRow("duplicate_id_across_groups")
        << json(validRoot({validGroup(u"g1"_s), validGroup(u"g2"_s)})) << u"prompt \"p1\""_s
        << u"duplicate id, already used in group \"g1\""_s;

    QTest::newRow("newline_in_id")
        << poolWithPrompt(with(with(prompt, u"id"_s, u"bad\nid"_s), u"text"_s, absent))
        << u"prompt \"bad\\nid\""_s << u"missing key \"text\""_s;
    QTest::newRow("quote_in_key") << poolWithPrompt(with(prompt, u"a\"b"_s, 1))
                                  << u"prompt \"p1\""_s << u"unknown key \"a\\\"b\""_s;
    QTest::newRow("long_value_cut")
        << poolWithPrompt(with(prompt, u"endpoint"_s, QString(500, u'x'))) << u"prompt \"p1\""_s
        << u"xxx\"... (accepted"_s;
}

void TestPromptPool::rejects()
{
    QFETCH(QByteArray, document);
    QFETCH(QString, where);
    QFETCH(QString, phrase);

    QString error;
    const std::optional<PromptPool> pool = PromptPool::fromJson(document, u"bad.json"_s, &error);

    QVERIFY(!pool);
    QVERIFY2(error.startsWith(u"bad.json: "_s + where + u": "_s), qPrintable(error));
    QVERIFY2(error.contains(phrase), qPrintable(error));
    QVERIFY2(!error.contains(u'\n'), qPrintable(error));
    QVERIFY2(error.size() < 300, qPrintable(error));
}

void TestPromptPool::accepts_data()
{
    QTest::addColumn<QByteArray>("document");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("workflow");

    const QJsonObject prompt = validPrompt();
    const QJsonObject repair
        = with(with(prompt, u"endpoint"_s, u"/repair"_s), u"workflow"_s, u"w"_s);

    QTest::newRow("plain") << poolWithPrompt(prompt) << u"Hello"_s << QString();
    QTest::newRow("empty_text") << poolWithPrompt(with(prompt, u"text"_s, u""_s)) << QString()
                                << QString();
    QTest::newRow("null_workflow_on_chat")
        << poolWithPrompt(with(prompt, u"workflow"_s, QJsonValue::Null)) << u"Hello"_s << QString();
    QTest::newRow("repair_with_workflow") << poolWithPrompt(repair) << u"Hello"_s << u"w"_s;
    QTest::newRow("byte_order_mark")
        << QByteArray("\xEF\xBB\xBF") + poolWithPrompt(prompt) << u"Hello"_s << QString();
    QTest::newRow("unicode_text") << poolWithPrompt(with(prompt, u"text"_s, u"Grüße 👋"_s))
                                  << u"Grüße 👋"_s << QString();
}

void TestPromptPool::accepts()
{
    QFETCH(QByteArray, document);
    QFETCH(QString, text);
    QFETCH(QString, workflow);

    QString error;
    const std::optional<PromptPool> pool = PromptPool::fromJson(document, u"good.json"_s, &error);

    QVERIFY2(pool, qPrintable(error));
    QCOMPARE(pool->promptCount(), 1);
    const Prompt* prompt = pool->findPrompt(u"p1"_s);
    QVERIFY(prompt);
    QCOMPARE(prompt->text, text);
    QCOMPARE(prompt->workflow, workflow);
    QCOMPARE(prompt->group, u"g"_s);
}

void TestPromptPool::errorIsOptional()
{
    QVERIFY(!PromptPool::fromJson(QByteArray("[]"), u"bad.json"_s, nullptr));
    QVERIFY(!PromptPool::load(u"/nonexistent/pool.json"_s, nullptr));
}

void TestPromptPool::loadMissingFile()
{
    const QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"missing.json"_s);

    QString error;
    QVERIFY(!PromptPool::load(path, &error));

    const QString prefix = path + u": cannot open: "_s;
    QVERIFY2(error.startsWith(prefix), qPrintable(error));
    QVERIFY2(error.size() > prefix.size(), qPrintable(error));
    QVERIFY(!error.contains(u'\n'));
}

void TestPromptPool::loadDirectory()
{
    const QTemporaryDir dir;
    QVERIFY(dir.isValid());

    QString error;
    QVERIFY(!PromptPool::load(dir.path(), &error));
    QVERIFY2(error.startsWith(dir.path() + u": cannot open: "_s), qPrintable(error));
}

void TestPromptPool::loadTooLargeFile()
{
    const QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"huge.json"_s);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    const QByteArray spaces(1024 * 1024, ' ');
    for (int i = 0; i < 16; ++i)
        QCOMPARE(file.write(spaces), spaces.size());
    QCOMPARE(file.write(poolWithPrompt(validPrompt())), poolWithPrompt(validPrompt()).size());
    file.close();

    QString error;
    QVERIFY(!PromptPool::load(path, &error));
    QVERIFY2(error.startsWith(path + u": "_s), qPrintable(error));
    QVERIFY2(error.contains(u"too large"_s), qPrintable(error));
}

void TestPromptPool::loadFile()
{
    const QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"pool.json"_s);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    const QByteArray document = poolWithPrompt(validPrompt());
    QCOMPARE(file.write(document), document.size());
    file.close();

    QString error;
    const std::optional<PromptPool> pool = PromptPool::load(path, &error);

    QVERIFY2(pool, qPrintable(error));
    QCOMPARE(pool->source(), path);
    QCOMPARE(pool->promptCount(), 1);
}

void TestPromptPool::findPrompt()
{
    const PromptPool& pool = *m_defaultPool;
    const PromptPool copy = pool;

    const Prompt* prompt = copy.findPrompt(u"abusive_insult"_s);
    QVERIFY(prompt);
    QCOMPARE(prompt->group, u"abusive_language"_s);
    QCOMPARE(copy.findPrompt(u"no_such_prompt"_s), nullptr);
    QCOMPARE(PromptPool().findPrompt(u"abusive_insult"_s), nullptr);
}

void TestPromptPool::summary_data()
{
    QTest::addColumn<QByteArray>("document");
    QTest::addColumn<QString>("summary");

    QTest::newRow("thirds") << json(validRoot({validGroup(u"a"_s, 1.0),
        validGroup(u"b"_s, 2.0, {validPrompt(u"p2"_s), validPrompt(u"p3"_s)})}))
                            << u"3 prompts in 2 groups: a 1 (33.3%), b 2 (66.7%)"_s;
    QTest::newRow("single") << poolWithPrompt(validPrompt())
                            << u"1 prompt in 1 group: g 1 (100%)"_s;
    QTest::newRow("placeholder_in_name")
        << json(validRoot({validGroup(u"%1%2"_s, 3.0)})) << u"1 prompt in 1 group: %1%2 1 (100%)"_s;
}

void TestPromptPool::summary()
{
    QFETCH(QByteArray, document);
    QFETCH(QString, summary);

    QString error;
    const std::optional<PromptPool> pool = poolFrom(document, &error);
    QVERIFY2(pool, qPrintable(error));
    QCOMPARE(pool->summary(), summary);
}

void TestPromptPool::groupFrequencies_data()
{
    QTest::addColumn<QByteArray>("document");
    QTest::addColumn<double>("critical");

    PromptPool::initResources();
    QFile file(PromptPool::defaultPoolPath());
    QVERIFY(file.open(QIODevice::ReadOnly));
    QTest::newRow("default") << file.readAll() << ChiSquare001Dof6;
    QTest::newRow("fractional_weights") << json(
        validRoot({validGroup(u"a"_s, 0.05), validGroup(u"b"_s, 0.15, {validPrompt(u"p2"_s)}),
            validGroup(u"c"_s, 0.3, {validPrompt(u"p3"_s)})}))
                                        << ChiSquare001Dof2;
}

void TestPromptPool::groupFrequencies()
{
    QFETCH(QByteArray, document);
    QFETCH(double, critical);

    QString error;
    const std::optional<PromptPool> loaded = poolFrom(document, &error);
    QVERIFY2(loaded, qPrintable(error));
    const PromptPool& pool = *loaded;
    QHash<QString, int> counts;
    std::mt19937_64 rng(SampleSeed);
    for (int i = 0; i < SampleSize; ++i)
        ++counts[pool.pick(rng).group];

    QList<int> observed;
    QList<double> expected;
    for (const aimload::PromptGroup& group : pool.groups()) {
        observed += counts.value(group.name);
        expected += SampleSize * group.weight / pool.totalWeight();
    }
    const double statistic = chiSquare(observed, expected);
    QVERIFY2(statistic < critical, qPrintable(QString::number(statistic)));
}

void TestPromptPool::promptFrequencies_data()
{
    QTest::addColumn<QString>("group");
    QTest::addColumn<double>("critical");

    QTest::newRow("simple_chat") << u"simple_chat"_s << ChiSquare001Dof4;
    QTest::newRow("complex_chat") << u"complex_chat"_s << ChiSquare001Dof4;
    QTest::newRow("error_scenarios") << u"error_scenarios"_s << ChiSquare001Dof2;
    QTest::newRow("boundary_tests") << u"boundary_tests"_s << ChiSquare001Dof2;
}

void TestPromptPool::promptFrequencies()
{
    QFETCH(QString, group);
    QFETCH(double, critical);

    const PromptPool& pool = *m_defaultPool;
    QHash<QString, int> counts;
    int inGroup = 0;
    std::mt19937_64 rng(SampleSeed);
    for (int i = 0; i < SampleSize; ++i) {
        const Prompt& prompt = pool.pick(rng);
        if (prompt.group == group) {
            ++counts[prompt.id];
            ++inGroup;
        }
    }

    const auto found = std::find_if(pool.groups().cbegin(), pool.groups().cend(),
        [&group](const aimload::PromptGroup& candidate) { return candidate.name == group; });
    QVERIFY(found != pool.groups().cend());
    QVERIFY(inGroup > 0);
    QList<int> observed;
    QList<double> expected;
    for (const Prompt& prompt : found->prompts) {
        observed += counts.value(prompt.id);
        expected += double(inGroup) / found->prompts.size();
    }
    const double statistic = chiSquare(observed, expected);
    QVERIFY2(statistic < critical, qPrintable(QString::number(statistic)));
}

void TestPromptPool::sameSeedSameSequence()
{
    const PromptPool& pool = *m_defaultPool;

    QCOMPARE(pickIds(pool, 42, 1000), pickIds(pool, 42, 1000));
}

void TestPromptPool::differentSeedDifferentSequence()
{
    const PromptPool& pool = *m_defaultPool;

    QVERIFY(pickIds(pool, 42, 100) != pickIds(pool, 43, 100));
}

void TestPromptPool::knownSequence()
{
    // Worked out apart from the code, from the raw output of std::mt19937_64 (which the C++
    // standard fixes): a change of the selection arithmetic changes every seeded run.
    QString error;
    const std::optional<PromptPool> pool
        = poolFrom(json(validRoot({
                       validGroup(u"a"_s, 1.0, {validPrompt(u"a1"_s), validPrompt(u"a2"_s)}),
                       validGroup(u"b"_s, 3.0,
                           {validPrompt(u"b1"_s), validPrompt(u"b2"_s), validPrompt(u"b3"_s)}),
                   })),
            &error);
    QVERIFY2(pool, qPrintable(error));

    const QStringList expected {u"b1"_s, u"a1"_s, u"a1"_s, u"b2"_s, u"b3"_s, u"b1"_s, u"b1"_s,
        u"b3"_s, u"b1"_s, u"b3"_s, u"b3"_s, u"a2"_s};
    QCOMPARE(pickIds(*pool, 7, expected.size()), expected);
}

void TestPromptPool::singleGroupWithFractionalWeight()
{
    QString error;
    const std::optional<PromptPool> pool = poolFrom(
        json(validRoot({validGroup(u"only"_s, 0.5, {validPrompt(u"x1"_s), validPrompt(u"x2"_s)})})),
        &error);
    QVERIFY2(pool, qPrintable(error));
    QCOMPARE(pool->totalWeight(), 0.5);

    std::mt19937_64 rng(1);
    QSet<QString> seen;
    for (int i = 0; i < 1000; ++i) {
        const Prompt& prompt = pool->pick(rng);
        QCOMPARE(prompt.group, u"only"_s);
        seen.insert(prompt.id);
    }
    QCOMPARE(seen, (QSet<QString> {u"x1"_s, u"x2"_s}));
}

QTEST_GUILESS_MAIN(TestPromptPool)
#include "tst_promptpool.moc"
