#include "agent/responseparser.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <cmath>

using namespace Qt::StringLiterals;
using aimload::Endpoint;
using aimload::Outcome;
using aimload::RequestRecord;
using aimload::ResponseParser;

namespace {

QJsonObject chatAnswer()
{
    return QJsonObject {
        {u"response"_s, u"All services are healthy."_s},
        {u"model_used"_s, u"mistral:7b-instruct-v0.3"_s},
        {u"latency_seconds"_s, 8.25},
        {u"timestamp"_s, u"2025-03-01T10:15:30.123456"_s},
    };
}

QJsonObject toolCall(const QString& name, bool success = true)
{
    return QJsonObject {
        {u"tool_name"_s, name},
        {u"arguments"_s, QJsonObject {{u"service"_s, u"api-gateway"_s}}},
        {u"success"_s, success},
        {u"result"_s, u"ok"_s},
        {u"error"_s, QJsonValue::Null},
        {u"timestamp"_s, u"2025-03-01T10:15:31"_s},
    };
}

QJsonObject repairAnswer()
{
    return QJsonObject {
        {u"success"_s, true},
        {u"actions_taken"_s, QJsonArray {u"system_health"_s, u"service_restart"_s}},
        {u"containers_restarted"_s, QJsonArray {u"api-gateway"_s}},
        {u"final_status"_s, u"healthy"_s},
        {u"model_used"_s, u"ministral-3:8b-instruct-2512-q8_0"_s},
        {u"latency_seconds"_s, 142.5},
        {u"timestamp"_s, u"2025-03-01T10:17:00"_s},
        {u"tool_calls"_s,
            QJsonArray {toolCall(u"system_health"_s), toolCall(u"service_restart"_s),
                toolCall(u"system_health"_s)}},
        {u"ai_reasoning"_s, QJsonValue::Null},
    };
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

QByteArray json(const QJsonObject& object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

RequestRecord recordFor(Endpoint endpoint)
{
    RequestRecord record;
    record.endpoint = endpoint;
    if (endpoint == Endpoint::Repair)
        record.workflow = u"forced_full_repair"_s;
    return record;
}

} // namespace

class TestResponseParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void classifies_data();
    void classifies();
    void keepsChatMeasurements();
    void keepsRepairToolCalls();
    void agentFailureKeepsToolCalls();
    void missingLatencyLeavesNaN();
    void errorDetail_data();
    void errorDetail();
};

void TestResponseParser::classifies_data()
{
    QTest::addColumn<Endpoint>("endpoint");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<Outcome>("outcome");
    QTest::addColumn<QString>("errorFragment");

    const QJsonValue absent = QJsonValue::Undefined;
    const auto chat
        = [](const char* tag, const QByteArray& body, Outcome outcome, const QString& fragment) {
              QTest::newRow(tag) << Endpoint::Chat << body << outcome << fragment;
          };
    const auto repair
        = [](const char* tag, const QByteArray& body, Outcome outcome, const QString& fragment) {
              QTest::newRow(tag) << Endpoint::Repair << body << outcome << fragment;
          };

    chat("chatValid", json(chatAnswer()), Outcome::Ok, {});
    chat("chatEmptyResponse", json(with(chatAnswer(), u"response"_s, u""_s)), Outcome::Ok, {});
    chat("chatWholeLatency", json(with(chatAnswer(), u"latency_seconds"_s, 8)), Outcome::Ok, {});
    chat("chatWithoutTimestamp", json(with(chatAnswer(), u"timestamp"_s, absent)), Outcome::Ok, {});
    chat("chatMissingResponse", json(with(chatAnswer(), u"response"_s, absent)),
        Outcome::InvalidResponse, u"response field"_s);
    chat("chatResponseNumber", json(with(chatAnswer(), u"response"_s, 42)),
        Outcome::InvalidResponse, u"response field"_s);
    chat("chatResponseNull", json(with(chatAnswer(), u"response"_s, QJsonValue::Null)),
        Outcome::InvalidResponse, u"response field"_s);
    chat("chatMissingModelUsed", json(with(chatAnswer(), u"model_used"_s, absent)),
        Outcome::InvalidResponse, u"model_used"_s);
    chat("chatModelUsedNumber", json(with(chatAnswer(), u"model_used"_s, 7)),
        Outcome::InvalidResponse, u"model_used"_s);
    chat("chatMissingLatency", json(with(chatAnswer(), u"latency_seconds"_s, absent)),
        Outcome::InvalidResponse, u"latency_seconds"_s);
    chat("chatLatencyString", json(with(chatAnswer(), u"latency_seconds"_s, u"8.2"_s)),
        Outcome::InvalidResponse, u"latency_seconds"_s);
    chat("chatNotJson", "Internal Server Error", Outcome::InvalidResponse, u"not JSON"_s);
    chat("chatCutShort", R"({"response": "All serv)", Outcome::InvalidResponse, u"not JSON"_s);
    chat("chatEmptyBody", QByteArray(), Outcome::InvalidResponse, u"empty answer"_s);
    chat("chatArray", "[]", Outcome::InvalidResponse, u"not an object"_s);
    chat("chatArrayOfAnswer", "[" + json(chatAnswer()) + "]", Outcome::InvalidResponse,
        u"not an object"_s);
    chat("chatGivenRepairAnswer", json(repairAnswer()), Outcome::InvalidResponse,
        u"response field"_s);

    repair("repairValid", json(repairAnswer()), Outcome::Ok, {});
    repair("repairNoToolCalls", json(with(repairAnswer(), u"tool_calls"_s, QJsonArray())),
        Outcome::Ok, {});
    repair("repairToolCallsNull", json(with(repairAnswer(), u"tool_calls"_s, QJsonValue::Null)),
        Outcome::Ok, {});
    repair("repairToolCallsAbsent", json(with(repairAnswer(), u"tool_calls"_s, absent)),
        Outcome::Ok, {});
    repair("repairSuccessFalse", json(with(repairAnswer(), u"success"_s, false)),
        Outcome::AgentFailure, u"success: false (healthy)"_s);
    repair("repairSuccessFalseDegraded",
        json(with(with(repairAnswer(), u"success"_s, false), u"final_status"_s,
            u"api-gateway still degraded"_s)),
        Outcome::AgentFailure, u"agent reported success: false (api-gateway still degraded)"_s);
    repair("repairSuccessFalseNoStatus",
        json(with(with(repairAnswer(), u"success"_s, false), u"final_status"_s, absent)),
        Outcome::AgentFailure, u"agent reported success: false"_s);
    repair("repairMissingSuccess", json(with(repairAnswer(), u"success"_s, absent)),
        Outcome::InvalidResponse, u"success field"_s);
    repair("repairSuccessString", json(with(repairAnswer(), u"success"_s, u"true"_s)),
        Outcome::InvalidResponse, u"success field"_s);
    repair("repairMissingActions", json(with(repairAnswer(), u"actions_taken"_s, absent)),
        Outcome::InvalidResponse, u"actions_taken"_s);
    repair("repairActionsString", json(with(repairAnswer(), u"actions_taken"_s, u"restart"_s)),
        Outcome::InvalidResponse, u"actions_taken"_s);
    repair("repairMissingModelUsed", json(with(repairAnswer(), u"model_used"_s, absent)),
        Outcome::InvalidResponse, u"model_used"_s);
    repair("repairToolCallsObject",
        json(with(repairAnswer(), u"tool_calls"_s, toolCall(u"system_health"_s))),
        Outcome::InvalidResponse, u"tool_calls"_s);
    repair(
        "repairNotJson", "<html>502 Bad Gateway</html>", Outcome::InvalidResponse, u"not JSON"_s);
    repair("repairEmptyBody", QByteArray(), Outcome::InvalidResponse, u"empty answer"_s);
    repair("repairArray", "[1, 2]", Outcome::InvalidResponse, u"not an object"_s);
    repair(
        "repairGivenChatAnswer", json(chatAnswer()), Outcome::InvalidResponse, u"success field"_s);
}

void TestResponseParser::classifies()
{
    QFETCH(Endpoint, endpoint);
    QFETCH(QByteArray, body);
    QFETCH(Outcome, outcome);
    QFETCH(QString, errorFragment);
    RequestRecord record = recordFor(endpoint);

    const ResponseParser::Result result = ResponseParser::parseSuccess(body, record);

    QCOMPARE(aimload::outcomeName(result.outcome), aimload::outcomeName(outcome));
    if (errorFragment.isEmpty())
        QCOMPARE(result.error, QString());
    else
        QVERIFY2(result.error.contains(errorFragment),
            qPrintable(u"'%1' lacks '%2'"_s.arg(result.error, errorFragment)));
    QVERIFY2(!result.error.contains(u'\n'), qPrintable(result.error));
}

void TestResponseParser::keepsChatMeasurements()
{
    RequestRecord record = recordFor(Endpoint::Chat);

    const ResponseParser::Result result = ResponseParser::parseSuccess(json(chatAnswer()), record);

    QCOMPARE(result.outcome, Outcome::Ok);
    QCOMPARE(record.modelUsed, u"mistral:7b-instruct-v0.3"_s);
    QCOMPARE(record.agentLatencySeconds, 8.25);
    QCOMPARE(record.toolCallCount, 0);
    QCOMPARE(record.toolNames, QStringList());
}

void TestResponseParser::keepsRepairToolCalls()
{
    RequestRecord record = recordFor(Endpoint::Repair);

    const ResponseParser::Result result
        = ResponseParser::parseSuccess(json(repairAnswer()), record);

    QCOMPARE(result.outcome, Outcome::Ok);
    QCOMPARE(record.modelUsed, u"ministral-3:8b-instruct-2512-q8_0"_s);
    QCOMPARE(record.agentLatencySeconds, 142.5);
    QCOMPARE(record.toolCallCount, 3);
    const QStringList names {u"system_health"_s, u"service_restart"_s, u"system_health"_s};
    QCOMPARE(record.toolNames, names);
}

// A workflow the agent judged failed still ran its tools; the record keeps them.
void TestResponseParser::agentFailureKeepsToolCalls()
{
    RequestRecord record = recordFor(Endpoint::Repair);
    const QJsonObject answer = with(with(repairAnswer(), u"success"_s, false), u"tool_calls"_s,
        QJsonArray {toolCall(u"system_health"_s), toolCall(u"service_restart"_s, false)});

    const ResponseParser::Result result = ResponseParser::parseSuccess(json(answer), record);

    QCOMPARE(result.outcome, Outcome::AgentFailure);
    QCOMPARE(record.toolCallCount, 2);
    const QStringList names {u"system_health"_s, u"service_restart"_s};
    QCOMPARE(record.toolNames, names);
    QCOMPARE(record.modelUsed, u"ministral-3:8b-instruct-2512-q8_0"_s);
}

void TestResponseParser::missingLatencyLeavesNaN()
{
    RequestRecord record = recordFor(Endpoint::Repair);
    const QJsonObject answer = with(repairAnswer(), u"latency_seconds"_s, QJsonValue::Undefined);

    ResponseParser::parseSuccess(json(answer), record);

    QVERIFY(std::isnan(record.agentLatencySeconds));
}

void TestResponseParser::errorDetail_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("detail");

    const QString longText = QString(150, u'a') + QString(150, u'b');
    const QJsonArray validation {QJsonObject {
        {u"loc"_s, QJsonArray {u"body"_s, u"message"_s}},
        {u"msg"_s, u"field required"_s},
        {u"type"_s, u"value_error.missing"_s},
    }};

    QTest::newRow("fastApiString") << QByteArray(R"({"detail": "Chat failed: model timed out"})")
                                   << u"Chat failed: model timed out"_s;
    QTest::newRow("validationList")
        << json({{u"detail"_s, validation}})
        << uR"([{"loc":["body","message"],"msg":"field required","type":"value_error.missing"}])"_s;
    QTest::newRow("detailObject") << QByteArray(R"({"detail": {"reason": "busy"}})")
                                  << uR"({"reason":"busy"})"_s;
    QTest::newRow("notJson") << QByteArray("Internal Server Error") << u"Internal Server Error"_s;
    QTest::newRow("htmlOnOneLine")
        << QByteArray("<html>\r\n  <body>502 Bad Gateway</body>\n</html>")
        << u"<html> <body>502 Bad Gateway</body> </html>"_s;
    QTest::newRow("emptyBody") << QByteArray() << QString();
    QTest::newRow("noDetailKey") << QByteArray(R"({"error":"x"})") << uR"({"error":"x"})"_s;
    QTest::newRow("exactlyTheLimit")
        << json({{u"detail"_s, QString(200, u'x')}}) << QString(200, u'x');
    QTest::newRow("longStringCut") << json({{u"detail"_s, longText}}) << longText.left(200);
    QTest::newRow("longNonJsonCut") << longText.toUtf8() << longText.left(200);
    QTest::newRow("longListCut") << json({{u"detail"_s, QJsonArray {longText}}})
                                 << QString(u"[\""_s + longText + u"\"]"_s).left(200);
    QTest::newRow("nonAsciiCountsCharacters")
        << json({{u"detail"_s, QString(300, QChar(0x00e9))}}) << QString(200, QChar(0x00e9));
}

void TestResponseParser::errorDetail()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, detail);
    RequestRecord record = recordFor(Endpoint::Chat);

    ResponseParser::parseErrorDetail(body, record);

    QCOMPARE(record.detail, detail);
    QVERIFY(record.detail.size() <= ResponseParser::DetailLimit);
}

QTEST_GUILESS_MAIN(TestResponseParser)
#include "tst_responseparser.moc"
