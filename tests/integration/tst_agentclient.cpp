#include "agent/agentclient.h"
#include "processmemory.h"
#include "rawhttpserver.h"
#include "sim/simulatedagent.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QSignalSpy>
#include <QTest>

#include <chrono>
#include <cmath>
#include <optional>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using aimload::AgentClient;
using aimload::ClientSettings;
using aimload::Endpoint;
using aimload::Model;
using aimload::Outcome;
using aimload::RequestRecord;
using aimload::SimulatedAgent;
using aimload::test::CapturedRequest;
using aimload::test::RawHttpServer;
using Fault = aimload::SimulatedAgent::Fault;

namespace {

constexpr int WaitMs = 5000;
// Long enough for a stray second request or report to show up, short enough to repeat.
constexpr int SettleMs = 100;
const QString TraceId = u"4bf92f3577b34da6a3ce929d0e0e4736"_s;
const QString SpanId = u"00f067aa0ba902b7"_s;

const QByteArray ChatAnswer = R"({"response":"All fine.","model_used":"mistral:7b-instruct-v0.3",)"
                              R"("latency_seconds":0.25,"timestamp":"2025-03-01T10:15:30.123456"})";
const QByteArray RepairAnswer
    = R"({"success":true,"actions_taken":["system_health"],"containers_restarted":[],)"
      R"("final_status":"healthy","model_used":"ministral-3:8b-instruct-2512-q8_0",)"
      R"("latency_seconds":1.5,"timestamp":"2025-03-01T10:15:30.123456","tool_calls":)"
      R"([{"tool_name":"system_health","arguments":{},"success":true,"result":"ok",)"
      R"("error":null,"timestamp":"2025-03-01T10:15:30.123456"}],"ai_reasoning":null})";

enum class HealthServer
{
    Healthy,
    Refusing,
    Failing,
    Hanging
};

ClientSettings settingsFor(const QUrl& baseUrl)
{
    ClientSettings settings;
    settings.baseUrl = baseUrl;
    settings.chatTimeout = 10s;
    settings.repairTimeout = 10s;
    settings.healthTimeout = 5s;
    return settings;
}

RequestRecord chatRecord(quint64 id, const QString& message = u"How are the services?"_s)
{
    RequestRecord record;
    record.id = id;
    record.message = message;
    return record;
}

RequestRecord repairRecord(quint64 id, const QString& workflow, Model model = Model::B)
{
    RequestRecord record;
    record.id = id;
    record.endpoint = Endpoint::Repair;
    record.workflow = workflow;
    record.model = model;
    return record;
}

RequestRecord recordAt(const QSignalSpy& spy, qsizetype index)
{
    return spy.at(index).at(0).value<RequestRecord>();
}

QString outcomeOf(const RequestRecord& record)
{
    return aimload::outcomeName(record.outcome);
}

// An agent that answers in milliseconds and fails only when told to.
bool start(SimulatedAgent& agent)
{
    agent.setSpeed(10000.0);
    agent.setFailureRate(0.0);
    agent.setAgentFailureRate(0.0);
    return agent.listen();
}

bool start(RawHttpServer& server,
    const QByteArray& answer = RawHttpServer::response(200, "OK", ChatAnswer))
{
    server.setResponse(answer);
    return server.listen();
}

bool offersUpgrade(const CapturedRequest& request)
{
    return request.hasHeader("upgrade") || request.hasHeader("http2-settings")
        || request.header("connection").toLower().contains("upgrade");
}

// Decodes a query value the way Starlette does: as a form, '+' being a space.
QString formDecoded(QByteArray value)
{
    return QString::fromUtf8(QByteArray::fromPercentEncoding(value.replace('+', ' ')));
}

} // namespace

class TestAgentClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void chatBytes_data();
    void chatBytes();
    void traceparent_data();
    void traceparent();
    void repairBytes();
    void workflowEncoding_data();
    void workflowEncoding();
    void basePath_data();
    void basePath();
    void answered_data();
    void answered();
    void outcomes_data();
    void outcomes();
    void longDetailIsCut();
    void responseCap_data();
    void responseCap();
    void cancel_data();
    void cancel();
    void cancelAll();
    void cancelAfterFinish();
    void destroyWithRequestsInFlight();
    void fortyAtOnce();
    void deadlinesInOrder();
    void latency_data();
    void latency();
    void health_data();
    void health();
};

void TestAgentClient::chatBytes_data()
{
    QTest::addColumn<QString>("message");

    QString controls;
    for (char16_t c = 0; c < 0x20; ++c)
        controls.append(QChar(c));
    controls.append(QChar(0x7f));
    QString tenKilobytes;
    while (tenKilobytes.size() < 10 * 1024)
        tenKilobytes += u"Check latency of every service, then restart the slow one. "_s;
    tenKilobytes.truncate(10 * 1024);

    QTest::newRow("plain") << u"What is the status of the api-gateway?"_s;
    QTest::newRow("doubleQuotes") << u"Say \"hello\" and \"\"twice\"\""_s;
    QTest::newRow("backslashes") << u"C:\\temp\\ and \\\" and \\u0041 and \\\\"_s;
    QTest::newRow("newlines") << u"line one\nline two\n\nline four\n"_s;
    QTest::newRow("tabs") << u"\tcolumn\tcolumn\t"_s;
    QTest::newRow("carriageReturn") << u"first\r\nsecond\rthird"_s;
    QTest::newRow("controlChars") << controls;
    QTest::newRow("emojiNonBmp") << u"deploy 🚀 then 𝄞 and 🧑‍💻 done"_s;
    QTest::newRow("nonLatinScripts") << u"Здравствуйте 你好 مرحبا नमस्ते שלום ελληνικά"_s;
    QTest::newRow("empty") << QString();
    QTest::newRow("tenKilobytes") << tenKilobytes;
}

void TestAgentClient::chatBytes()
{
    QFETCH(QString, message);
    RawHttpServer server;
    QVERIFY(start(server));
    AgentClient client(settingsFor(server.url()));
    QSignalSpy finished(&client, &AgentClient::requestFinished);

    client.send(chatRecord(1, message));
    QVERIFY(finished.wait(WaitMs));

    QCOMPARE(server.requests().size(), 1);
    const CapturedRequest request = server.requests().first();
    QCOMPARE(request.requestLine(), "POST /chat HTTP/1.1");
    QCOMPARE(request.headerValues("content-type"), QByteArrayList {"application/json"});
    QCOMPARE(request.headerValues("content-length"),
        QByteArrayList {QByteArray::number(request.body.size())});
    QCOMPARE(server.strayBytes(), 0);
    QVERIFY(!offersUpgrade(request));
    QVERIFY(!request.hasHeader("traceparent"));

    QVERIFY(QByteArrayView(request.body).isValidUtf8());
    QVERIFY2(request.body.startsWith(R"({"message":")"), request.body.left(40).constData());
    QVERIFY2(request.body.endsWith(R"(","model":"a"})"), request.body.right(40).constData());
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(request.body, &error);
    QCOMPARE(error.error, QJsonParseError::NoError);
    QCOMPARE(document.object().keys(), (QStringList {u"message"_s, u"model"_s}));
    QCOMPARE(document.object().value(u"message").toString(), message);

    QCOMPARE(outcomeOf(recordAt(finished, 0)), u"ok"_s);
}

void TestAgentClient::traceparent_data()
{
    QTest::addColumn<RequestRecord>("record");
    QTest::addColumn<QByteArrayList>("expected");

    const QByteArray header = "00-" + TraceId.toLatin1() + '-' + SpanId.toLatin1() + "-01";
    RequestRecord chat = chatRecord(1);
    RequestRecord repair = repairRecord(1, u"minimal_single_tool"_s);
    QTest::newRow("chatWithout") << chat << QByteArrayList {};
    QTest::newRow("repairWithout") << repair << QByteArrayList {};
    chat.traceId = repair.traceId = TraceId;
    chat.spanId = repair.spanId = SpanId;
    QTest::newRow("chatWith") << chat << QByteArrayList {header};
    QTest::newRow("repairWith") << repair << QByteArrayList {header};
}

void TestAgentClient::traceparent()
{
    QFETCH(RequestRecord, record);
    QFETCH(QByteArrayList, expected);
    RawHttpServer server;
    QVERIFY(start(server));
    AgentClient client(settingsFor(server.url()));
    QSignalSpy finished(&client, &AgentClient::requestFinished);

    client.send(record);
    QVERIFY(finished.wait(WaitMs));

    QCOMPARE(server.requests().size(), 1);
    QCOMPARE(server.requests().first().headerValues("traceparent"), expected);
}

void TestAgentClient::repairBytes()
{
    RawHttpServer server;
    QVERIFY(start(server, RawHttpServer::response(200, "OK", RepairAnswer)));
    AgentClient client(settingsFor(server.url()));
    QSignalSpy finished(&client, &AgentClient::requestFinished);

    client.send(repairRecord(1, u"forced_full_repair"_s));
    QVERIFY(finished.wait(WaitMs));

    QCOMPARE(server.requests().size(), 1);
    const CapturedRequest request = server.requests().first();
    QCOMPARE(request.requestLine(), "POST /repair?model=b&workflow=forced_full_repair HTTP/1.1");
    QCOMPARE(request.headerValues("content-length"), QByteArrayList {"0"});
    QVERIFY2(!request.hasHeader("content-type"), request.header("content-type").constData());
    QVERIFY(!request.hasHeader("transfer-encoding"));
    QCOMPARE(request.body, QByteArray());
    QCOMPARE(server.strayBytes(), 0);
    QVERIFY(!offersUpgrade(request));
    QCOMPARE(outcomeOf(recordAt(finished, 0)), u"ok"_s);
}

void TestAgentClient::workflowEncoding_data()
{
    QTest::addColumn<QString>("workflow");

    QTest::newRow("space") << u"forced full repair"_s;
    QTest::newRow("ampersand") << u"repair&model=a"_s;
    QTest::newRow("equals") << u"level=3"_s;
    QTest::newRow("hash") << u"repair#1"_s;
    QTest::newRow("plus") << u"health+restart"_s;
    QTest::newRow("percent") << u"100%25 sure %"_s;
    QTest::newRow("slashQuestion") << u"a/b?c"_s;
    QTest::newRow("unicode") << u"réparation_修理_🚀"_s;
}

void TestAgentClient::workflowEncoding()
{
    QFETCH(QString, workflow);
    RawHttpServer server;
    QVERIFY(start(server, RawHttpServer::response(200, "OK", RepairAnswer)));
    AgentClient client(settingsFor(server.url()));
    QSignalSpy finished(&client, &AgentClient::requestFinished);

    client.send(repairRecord(1, workflow, Model::A));
    QVERIFY(finished.wait(WaitMs));

    QCOMPARE(server.requests().size(), 1);
    const QByteArrayList parts = server.requests().first().requestLine().split(' ');
    QCOMPARE(parts.size(), 3);
    const QByteArray target = parts.at(1);
    QVERIFY2(target.startsWith("/repair?"), target.constData());
    for (const char c : target)
        QVERIFY2(c > 0x20 && c < 0x7f && c != '#', target.constData());
    const QByteArrayList items = target.mid(target.indexOf('?') + 1).split('&');
    QCOMPARE(items.size(), 2);
    QCOMPARE(items.at(0), "model=a");
    QVERIFY2(items.at(1).startsWith("workflow="), items.at(1).constData());
    QCOMPARE(formDecoded(items.at(1).mid(9)), workflow);

    // The simulated agent decodes the query as Starlette does and names what it got.
    SimulatedAgent agent;
    QVERIFY(start(agent));
    AgentClient simClient(settingsFor(agent.url()));
    QSignalSpy simFinished(&simClient, &AgentClient::requestFinished);
    simClient.send(repairRecord(2, workflow, Model::A));
    QVERIFY(simFinished.wait(WaitMs));
    QCOMPARE(recordAt(simFinished, 0).detail,
        u"Repair workflow failed: unknown workflow %1"_s.arg(workflow).left(200));
}

void TestAgentClient::basePath_data()
{
    QTest::addColumn<QString>("basePath");
    QTest::addColumn<RequestRecord>("record");
    QTest::addColumn<QByteArray>("requestLine");

    const RequestRecord chat = chatRecord(1);
    const RequestRecord repair = repairRecord(1, u"minimal_single_tool"_s);
    QTest::newRow("none") << QString() << chat << QByteArray("POST /chat HTTP/1.1");
    QTest::newRow("rootSlash") << u"/"_s << chat << QByteArray("POST /chat HTTP/1.1");
    QTest::newRow("prefixSlash") << u"/agent/"_s << chat << QByteArray("POST /agent/chat HTTP/1.1");
    QTest::newRow("prefixBare") << u"/agent"_s << chat << QByteArray("POST /agent/chat HTTP/1.1");
    QTest::newRow("nestedPrefix") << u"/api/v2/agent/"_s << chat
                                  << QByteArray("POST /api/v2/agent/chat HTTP/1.1");
    QTest::newRow("repairPrefix")
        << u"/agent/"_s << repair
        << QByteArray("POST /agent/repair?model=b&workflow=minimal_single_tool HTTP/1.1");
}

void TestAgentClient::basePath()
{
    QFETCH(QString, basePath);
    QFETCH(RequestRecord, record);
    QFETCH(QByteArray, requestLine);
    RawHttpServer server;
    QVERIFY(start(server));
    QUrl base = server.url();
    base.setPath(basePath);
    AgentClient client(settingsFor(base));
    QSignalSpy finished(&client, &AgentClient::requestFinished);

    client.send(record);
    QVERIFY(finished.wait(WaitMs));

    QCOMPARE(server.requests().size(), 1);
    QCOMPARE(server.requests().first().requestLine(), requestLine);
}

void TestAgentClient::answered_data()
{
    QTest::addColumn<RequestRecord>("record");
    QTest::addColumn<QString>("modelUsed");
    QTest::addColumn<QStringList>("toolNames");

    const QString health = u"system_health"_s;
    RequestRecord chatB = chatRecord(1);
    chatB.model = Model::B;
    QTest::newRow("chatA") << chatRecord(1) << SimulatedAgent::modelName(u'a') << QStringList {};
    QTest::newRow("chatB") << chatB << SimulatedAgent::modelName(u'b') << QStringList {};
    QTest::newRow("repairMinimalA") << repairRecord(1, u"minimal_single_tool"_s, Model::A)
                                    << SimulatedAgent::modelName(u'a') << QStringList {health};
    QTest::newRow("repairFullB") << repairRecord(1, u"forced_full_repair"_s, Model::B)
                                 << SimulatedAgent::modelName(u'b')
                                 << QStringList {health, u"service_restart"_s, health};
}

void TestAgentClient::answered()
{
    QFETCH(RequestRecord, record);
    QFETCH(QString, modelUsed);
    QFETCH(QStringList, toolNames);
    SimulatedAgent agent;
    QVERIFY(start(agent));
    AgentClient client(settingsFor(agent.url()));
    QSignalSpy sent(&client, &AgentClient::requestSent);
    QSignalSpy finished(&client, &AgentClient::requestFinished);

    client.send(record);
    QCOMPARE(client.inFlight(), 1);
    QVERIFY(finished.wait(WaitMs));
    QVERIFY(!finished.wait(SettleMs));

    QCOMPARE(finished.size(), 1);
    QCOMPARE(sent.size(), 1);
    QCOMPARE(client.inFlight(), 0);
    const RequestRecord done = recordAt(finished, 0);
    QCOMPARE(done.id, record.id);
    QCOMPARE(outcomeOf(done), u"ok"_s);
    QCOMPARE(done.error, QString());
    QCOMPARE(done.httpStatus, 200);
    QCOMPARE(done.modelUsed, modelUsed);
    QVERIFY(std::isfinite(done.agentLatencySeconds));
    QVERIFY(done.agentLatencySeconds >= 0.0);
    QCOMPARE(done.toolCallCount, toolNames.size());
    QCOMPARE(done.toolNames, toolNames);
    QVERIFY(done.latencyMs > 0.0);
    QVERIFY(done.startedAt.isValid());
    QVERIFY(!done.body.isEmpty());
    QCOMPARE(done.responseBytes, done.body.size());
    QCOMPARE(agent.requestCount(), 1);
}

void TestAgentClient::outcomes_data()
{
    QTest::addColumn<Endpoint>("endpoint");
    QTest::addColumn<Fault>("fault");
    QTest::addColumn<QString>("outcome");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("phrase");
    QTest::addColumn<int>("minRequests");
    QTest::addColumn<int>("maxRequests");

    const auto row
        = [](const char* tag, Endpoint endpoint, Fault fault, Outcome outcome, int status,
              const QString& phrase, int minRequests = 1, int maxRequests = 1) {
              QTest::newRow(tag) << endpoint << fault << aimload::outcomeName(outcome) << status
                                 << phrase << minRequests << maxRequests;
          };
    const Endpoint chat = Endpoint::Chat;
    const Endpoint repair = Endpoint::Repair;

    row("chat500", chat, Fault::Http500, Outcome::HttpError, 500,
        u"HTTP 500 Internal Server Error: Chat failed: simulated fault"_s);
    row("repair500", repair, Fault::Http500, Outcome::HttpError, 500,
        u"Repair workflow failed: simulated fault"_s);
    row("chat502", chat, Fault::Http502, Outcome::HttpError, 502, u"HTTP 502"_s);
    row("chat422", chat, Fault::Http422, Outcome::HttpError, 422, u"field required"_s);
    row("repair422", repair, Fault::Http422, Outcome::HttpError, 422, u"permitted"_s);
    row("chatNotJson", chat, Fault::NotJson, Outcome::InvalidResponse, 200, u"not JSON"_s);
    row("repairNotJson", repair, Fault::NotJson, Outcome::InvalidResponse, 200, u"not JSON"_s);
    row("chatTruncated", chat, Fault::TruncatedJson, Outcome::InvalidResponse, 200, u"not JSON"_s);
    row("repairTruncated", repair, Fault::TruncatedJson, Outcome::InvalidResponse, 200,
        u"not JSON"_s);
    row("chatWrongShape", chat, Fault::WrongShape, Outcome::InvalidResponse, 200,
        u"lacks the response field"_s);
    row("repairWrongShape", repair, Fault::WrongShape, Outcome::InvalidResponse, 200,
        u"lacks the success field"_s);
    row("chatEmptyBody", chat, Fault::EmptyBody, Outcome::InvalidResponse, 200, u"empty answer"_s);
    row("repairEmptyBody", repair, Fault::EmptyBody, Outcome::InvalidResponse, 200,
        u"empty answer"_s);
    row("repairFailure", repair, Fault::RepairFailure, Outcome::AgentFailure, 200,
        u"success: false"_s);
    row("chatRedirect", chat, Fault::Redirect307, Outcome::HttpError, 307, u"not followed"_s);
    row("repairRedirect", repair, Fault::Redirect307, Outcome::HttpError, 307, u"not followed"_s);
    row("chatResetMidBody", chat, Fault::ResetMidBody, Outcome::ConnectionError, 200,
        u"closed mid-answer"_s);
    row("repairResetMidBody", repair, Fault::ResetMidBody, Outcome::ConnectionError, 200,
        u"closed mid-answer"_s);
    row("chatResetBeforeAnswer", chat, Fault::ResetBeforeAnswer, Outcome::ConnectionError, 0,
        u"closed"_s, 1, 2);
    row("repairResetBeforeAnswer", repair, Fault::ResetBeforeAnswer, Outcome::ConnectionError, 0,
        u"closed"_s, 1, 2);
    row("chatRefused", chat, Fault::Refuse, Outcome::ConnectionError, 0, u"refused"_s, 0, 0);
    row("repairRefused", repair, Fault::Refuse, Outcome::ConnectionError, 0, u"refused"_s, 0, 0);
    row("chatHang", chat, Fault::Hang, Outcome::Timeout, 0, u"within 0.3 s"_s);
    row("repairHang", repair, Fault::Hang, Outcome::Timeout, 0, u"within 0.3 s"_s);
}

void TestAgentClient::outcomes()
{
    QFETCH(Endpoint, endpoint);
    QFETCH(Fault, fault);
    QFETCH(QString, outcome);
    QFETCH(int, status);
    QFETCH(QString, phrase);
    QFETCH(int, minRequests);
    QFETCH(int, maxRequests);
    SimulatedAgent agent;
    QVERIFY(start(agent));
    agent.setFault(fault);
    ClientSettings settings = settingsFor(agent.url());
    settings.chatTimeout = settings.repairTimeout = 300ms;
    AgentClient client(settings);
    QSignalSpy finished(&client, &AgentClient::requestFinished);
    const RequestRecord record
        = endpoint == Endpoint::Chat ? chatRecord(7) : repairRecord(7, u"forced_full_repair"_s);

    client.send(record);
    QVERIFY(finished.wait(WaitMs));
    QVERIFY(!finished.wait(SettleMs));

    QCOMPARE(finished.size(), 1);
    QCOMPARE(client.inFlight(), 0);
    const RequestRecord done = recordAt(finished, 0);
    QCOMPARE(done.id, record.id);
    QCOMPARE(outcomeOf(done), outcome);
    QCOMPARE(done.httpStatus, status);
    QVERIFY2(done.error.contains(phrase), qPrintable(done.error));
    QVERIFY(done.detail.size() <= 200);
    QVERIFY2(agent.requestCount() >= minRequests && agent.requestCount() <= maxRequests,
        qPrintable(u"%1 requests reached the agent"_s.arg(agent.requestCount())));

    if (fault == Fault::Http500) {
        QVERIFY(done.detail.endsWith(u"failed: simulated fault"_s));
    }
    if (fault == Fault::Redirect307) {
        const QString path = endpoint == Endpoint::Chat ? u"/chat/"_s : u"/repair/"_s;
        QVERIFY2(done.redirectTarget.startsWith(agent.url().toString() + path),
            qPrintable(done.redirectTarget));
        QCOMPARE(agent.requestCount(), 1);
    }
    if (fault == Fault::Hang) {
        // The deadline runs from send(), latency from when the request left: on a loaded
        // machine the two can be some milliseconds apart, so the bound is loose.
        QVERIFY2(done.latencyMs >= 250.0 && done.latencyMs <= 600.0,
            qPrintable(QString::number(done.latencyMs)));
    }
}

void TestAgentClient::longDetailIsCut()
{
    const QString detail = u"Chat failed: "_s + QString(1000, u'z');
    RawHttpServer server;
    const QByteArray body
        = QJsonDocument(QJsonObject {{u"detail"_s, detail}}).toJson(QJsonDocument::Compact);
    QVERIFY(start(server, RawHttpServer::response(500, "Internal Server Error", body)));
    AgentClient client(settingsFor(server.url()));
    QSignalSpy finished(&client, &AgentClient::requestFinished);

    client.send(chatRecord(1));
    QVERIFY(finished.wait(WaitMs));

    const RequestRecord done = recordAt(finished, 0);
    QCOMPARE(outcomeOf(done), u"http_error"_s);
    QCOMPARE(done.httpStatus, 500);
    QCOMPARE(done.detail, detail.left(200));
}

void TestAgentClient::responseCap_data()
{
    QTest::addColumn<qint64>("bodySize");
    QTest::addColumn<bool>("withLength");

    QTest::newRow("oneMegabyteWithLength") << (qint64(1) << 20) << true;
    QTest::newRow("oneMegabyteUntilClose") << (qint64(1) << 20) << false;
    QTest::newRow("fiftyMegabytesWithLength") << (qint64(50) << 20) << true;
    QTest::newRow("fiftyMegabytesUntilClose") << (qint64(50) << 20) << false;
}

void TestAgentClient::responseCap()
{
    QFETCH(qint64, bodySize);
    QFETCH(bool, withLength);
    constexpr qint64 Cap = 64 * 1024;
    // Heap and thread start-up noise; far below the 50 MiB rows' bodies.
    constexpr qint64 MemorySlack = 8 * 1024 * 1024;
    RawHttpServer server;
    QVERIFY(start(server));
    server.setStreamedBody(bodySize, withLength);
    ClientSettings settings = settingsFor(server.url());
    settings.maxResponseBytes = Cap;
    AgentClient client(settings);
    QSignalSpy finished(&client, &AgentClient::requestFinished);
    const bool peakKnown = aimload::test::resetPeakMemory();
    const std::optional<qint64> rssBefore = aimload::test::statusKilobytes("VmRSS");

    client.send(chatRecord(1));
    QVERIFY(finished.wait(WaitMs));
    const std::optional<qint64> peakAfter = aimload::test::statusKilobytes("VmHWM");

    const RequestRecord done = recordAt(finished, 0);
    QCOMPARE(outcomeOf(done), u"invalid_response"_s);
    QVERIFY2(done.error.contains(u"larger than"_s), qPrintable(done.error));
    QVERIFY(done.body.size() <= Cap);
    QCOMPARE(done.httpStatus, 200);
    if (bodySize > MemorySlack) {
        // The client hung up long before the end instead of draining the answer.
        QTRY_COMPARE(server.openCount(), 0);
        QVERIFY2(server.streamedBytes() < bodySize / 4,
            qPrintable(u"the server wrote %1 bytes"_s.arg(server.streamedBytes())));
    }

    if (!peakKnown || !rssBefore || !peakAfter)
        QSKIP("the peak resident size cannot be reset on this system");
    const qint64 growth = (*peakAfter - *rssBefore) * 1024;
    QVERIFY2(growth < MemorySlack, qPrintable(u"peak memory grew by %1 bytes"_s.arg(growth)));
}

void TestAgentClient::cancel_data()
{
    QTest::addColumn<bool>("waitForServer");

    QTest::newRow("beforeEventLoop") << false;
    QTest::newRow("whileServerHolds") << true;
}

void TestAgentClient::cancel()
{
    QFETCH(bool, waitForServer);
    RawHttpServer server;
    QVERIFY(start(server));
    server.setHold(true);
    AgentClient client(settingsFor(server.url()));
    QSignalSpy finished(&client, &AgentClient::requestFinished);

    client.send(chatRecord(1));
    client.send(chatRecord(2));
    if (waitForServer)
        QTRY_COMPARE(server.requests().size(), 2);
    client.cancel(1);

    QCOMPARE(finished.size(), 1);
    const RequestRecord done = recordAt(finished, 0);
    QCOMPARE(done.id, quint64(1));
    QCOMPARE(outcomeOf(done), u"cancelled"_s);
    QVERIFY(!done.error.isEmpty());
    QCOMPARE(client.inFlight(), 1);

    client.cancel(1);
    client.cancel(99);
    QCOMPARE(finished.size(), 1);

    // A request cancelled before the event loop ran never leaves the client.
    QTRY_COMPARE(server.requests().size(), waitForServer ? 2 : 1);
    server.releaseHeld();
    QVERIFY(finished.wait(WaitMs));
    QVERIFY(!finished.wait(SettleMs));
    QCOMPARE(finished.size(), 2);
    QCOMPARE(server.requests().size(), waitForServer ? 2 : 1);
    QCOMPARE(recordAt(finished, 1).id, quint64(2));
    QCOMPARE(outcomeOf(recordAt(finished, 1)), u"ok"_s);
}

void TestAgentClient::cancelAll()
{
    RawHttpServer server;
    QVERIFY(start(server));
    server.setHold(true);
    AgentClient client(settingsFor(server.url()));
    QSignalSpy finished(&client, &AgentClient::requestFinished);
    const QSet<quint64> ids {1, 2, 3, 4};
    for (const quint64 id : ids)
        client.send(chatRecord(id));
    QTRY_COMPARE(server.requests().size(), 4);

    client.cancelAll();

    QCOMPARE(finished.size(), 4);
    QSet<quint64> reported;
    for (qsizetype i = 0; i < finished.size(); ++i) {
        QCOMPARE(outcomeOf(recordAt(finished, i)), u"cancelled"_s);
        reported.insert(recordAt(finished, i).id);
    }
    QCOMPARE(reported, ids);
    QCOMPARE(client.inFlight(), 0);

    client.cancelAll();
    server.releaseHeld();
    QVERIFY(!finished.wait(SettleMs));
    QCOMPARE(finished.size(), 4);
}

void TestAgentClient::cancelAfterFinish()
{
    SimulatedAgent agent;
    QVERIFY(start(agent));
    AgentClient client(settingsFor(agent.url()));
    QSignalSpy finished(&client, &AgentClient::requestFinished);

    client.send(chatRecord(5));
    QVERIFY(finished.wait(WaitMs));
    client.cancel(5);
    client.cancelAll();

    QVERIFY(!finished.wait(SettleMs));
    QCOMPARE(finished.size(), 1);
    QCOMPARE(outcomeOf(recordAt(finished, 0)), u"ok"_s);
}

void TestAgentClient::destroyWithRequestsInFlight()
{
    RawHttpServer server;
    QVERIFY(start(server));
    server.setHold(true);
    int reports = 0;
    QObject listener;
    {
        ClientSettings settings = settingsFor(server.url());
        settings.chatTimeout = 200ms;
        AgentClient client(settings);
        connect(&client, &AgentClient::requestFinished, &listener, [&reports] { ++reports; });
        for (quint64 id = 1; id <= 3; ++id)
            client.send(chatRecord(id));
        QTRY_COMPARE(server.requests().size(), 3);
    }

    QTRY_COMPARE(server.openCount(), 0);
    server.releaseHeld();
    // Past the deadlines the destroyed client had armed.
    QTest::qWait(300);
    QCOMPARE(reports, 0);
}

void TestAgentClient::fortyAtOnce()
{
    constexpr int Count = 40;
    RawHttpServer server;
    QVERIFY(start(server));
    server.setHold(true);
    AgentClient client(settingsFor(server.url()));
    QSignalSpy finished(&client, &AgentClient::requestFinished);

    for (quint64 id = 1; id <= Count; ++id)
        client.send(chatRecord(id));
    QCOMPARE(client.inFlight(), Count);

    // Every request reaches the server before any is answered: none waits for a connection.
    QTRY_COMPARE(server.requests().size(), Count);
    QCOMPARE(server.acceptedCount(), Count);
    QCOMPARE(server.openCount(), Count);
    QCOMPARE(finished.size(), 0);

    server.releaseHeld();
    QTRY_COMPARE(finished.size(), Count);
    QSet<quint64> ids;
    for (qsizetype i = 0; i < finished.size(); ++i) {
        const RequestRecord done = recordAt(finished, i);
        QCOMPARE(outcomeOf(done), u"ok"_s);
        ids.insert(done.id);
    }
    QCOMPARE(ids.size(), Count);
    QCOMPARE(client.inFlight(), 0);
}

void TestAgentClient::deadlinesInOrder()
{
    // Deadlines share one timer: a later request with a shorter limit must still time out
    // first, an answer must not be cut before its own limit, and finished requests must
    // not disturb the deadlines of the others.
    RawHttpServer server;
    QVERIFY(start(server));
    server.setHold(true);
    ClientSettings settings = settingsFor(server.url());
    settings.repairTimeout = 600ms;
    settings.chatTimeout = 200ms;
    AgentClient client(settings);
    QSignalSpy finished(&client, &AgentClient::requestFinished);
    QElapsedTimer wall;
    wall.start();
    client.send(repairRecord(1, u"forced_full_repair"_s));
    client.send(chatRecord(2));
    client.send(repairRecord(3, u"forced_full_repair"_s));
    client.cancel(3);
    QCOMPARE(finished.size(), 1);
    client.send(chatRecord(4));
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 4, WaitMs);

    QCOMPARE(recordAt(finished, 0).id, 3u);
    QCOMPARE(outcomeOf(recordAt(finished, 0)), u"cancelled"_s);
    QList<quint64> order;
    for (qsizetype i = 1; i < finished.size(); ++i) {
        const RequestRecord done = recordAt(finished, i);
        order.append(done.id);
        QCOMPARE(outcomeOf(done), u"timeout"_s);
        const double limitMs = done.endpoint == Endpoint::Chat ? 200.0 : 600.0;
        QVERIFY2(done.latencyMs >= limitMs && done.latencyMs < limitMs + 150.0,
            qPrintable(u"request %1 after %2 ms"_s.arg(done.id).arg(done.latencyMs)));
        QVERIFY(done.error.contains(
            done.endpoint == Endpoint::Chat ? u"within 0.2 s"_s : u"within 0.6 s"_s));
    }
    QCOMPARE(order, (QList<quint64> {2, 4, 1}));
    QVERIFY(wall.elapsed() >= 600);
    QCOMPARE(client.inFlight(), 0);
}

void TestAgentClient::latency_data()
{
    QTest::addColumn<bool>("reuseConnection");

    QTest::newRow("newConnection") << false;
    QTest::newRow("keptAliveConnection") << true;
}

void TestAgentClient::latency()
{
    QFETCH(bool, reuseConnection);
    RawHttpServer server;
    QVERIFY(start(server));
    AgentClient client(settingsFor(server.url()));
    QSignalSpy sent(&client, &AgentClient::requestSent);
    QSignalSpy finished(&client, &AgentClient::requestFinished);
    if (reuseConnection) {
        client.send(chatRecord(1));
        QVERIFY(finished.wait(WaitMs));
        sent.clear();
        finished.clear();
    }
    server.setDelay(200ms);

    const QDateTime before = QDateTime::currentDateTimeUtc();
    QElapsedTimer wall;
    wall.start();
    client.send(chatRecord(2));
    QVERIFY(finished.wait(WaitMs));
    const double wallMs = double(wall.nsecsElapsed()) / 1e6;

    QCOMPARE(server.acceptedCount(), 1);
    const RequestRecord done = recordAt(finished, 0);
    QCOMPARE(outcomeOf(done), u"ok"_s);
    QVERIFY2(done.latencyMs >= 200.0 && done.latencyMs <= 400.0,
        qPrintable(QString::number(done.latencyMs)));
    QVERIFY(done.latencyMs <= wallMs);
    QVERIFY(done.startedAt >= before);
    QVERIFY(done.startedAt <= server.requests().last().receivedAt);
    QCOMPARE(sent.size(), 1);
    QCOMPARE(sent.at(0).at(0).value<RequestRecord>().startedAt, done.startedAt);
}

void TestAgentClient::health_data()
{
    QTest::addColumn<HealthServer>("kind");
    QTest::addColumn<bool>("healthy");
    QTest::addColumn<QString>("phrase");

    QTest::newRow("healthy") << HealthServer::Healthy << true << QString();
    QTest::newRow("refused") << HealthServer::Refusing << false << u"refused"_s;
    QTest::newRow("http500") << HealthServer::Failing << false << u"HTTP 500"_s;
    QTest::newRow("hang") << HealthServer::Hanging << false << u"within 0.3 s"_s;
}

void TestAgentClient::health()
{
    QFETCH(HealthServer, kind);
    QFETCH(bool, healthy);
    QFETCH(QString, phrase);
    SimulatedAgent agent;
    RawHttpServer server;
    QUrl base;
    if (kind == HealthServer::Healthy || kind == HealthServer::Refusing) {
        QVERIFY(start(agent));
        agent.setFault(kind == HealthServer::Refusing ? Fault::Refuse : Fault::None);
        base = agent.url();
    } else {
        QVERIFY(start(server, RawHttpServer::response(500, "Internal Server Error", "{}")));
        server.setHold(kind == HealthServer::Hanging);
        base = server.url();
    }
    ClientSettings settings = settingsFor(base);
    settings.healthTimeout = 300ms;
    AgentClient client(settings);
    QSignalSpy checked(&client, &AgentClient::healthChecked);
    QElapsedTimer elapsed;
    elapsed.start();

    client.probeHealth();
    QVERIFY(checked.wait(WaitMs));
    QVERIFY(!checked.wait(SettleMs));

    QCOMPARE(checked.size(), 1);
    QCOMPARE(checked.at(0).at(0).toBool(), healthy);
    const QString reason = checked.at(0).at(1).toString();
    if (healthy) {
        QCOMPARE(reason, QString());
        return;
    }
    QVERIFY2(reason.contains(base.toString() + u"/health"_s), qPrintable(reason));
    QVERIFY2(reason.contains(phrase), qPrintable(reason));
    if (kind == HealthServer::Hanging)
        QVERIFY(elapsed.elapsed() >= 290);
}

QTEST_GUILESS_MAIN(TestAgentClient)
#include "tst_agentclient.moc"
