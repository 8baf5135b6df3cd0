#include "sim/httpmessage.h"
#include "sim/simulatedagent.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using aimload::HttpRequest;
using aimload::HttpRequestParser;
using aimload::HttpResponse;
using aimload::SimulatedAgent;
using Fault = aimload::SimulatedAgent::Fault;

namespace {

constexpr quint64 Seed = 7;
constexpr int WaitMs = 5000;

struct Answer
{
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    int status = 0;
    QByteArray body;
    QByteArray contentType;
    QByteArray location;
    QByteArray allow;

    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
};

struct RawResponse
{
    int status = 0;
    QByteArray head;
    qsizetype contentLength = 0;
    QByteArray body;

    QByteArray header(QByteArrayView name) const
    {
        const QList<QByteArray> lines = head.split('\n');
        for (const QByteArray& line : lines) {
            const qsizetype colon = line.indexOf(':');
            if (colon > 0 && line.left(colon).compare(name, Qt::CaseInsensitive) == 0)
                return line.mid(colon + 1).trimmed();
        }
        return {};
    }
};

void prepare(SimulatedAgent& agent, double speed = 1000.0)
{
    agent.setSeed(Seed);
    agent.setSpeed(speed);
    agent.setFailureRate(0.0);
    agent.setAgentFailureRate(0.0);
    QVERIFY2(agent.listen(), qPrintable(agent.errorString()));
}

QUrl endpoint(const SimulatedAgent& agent, const QString& target)
{
    return agent.url().resolved(QUrl(target));
}

Answer exchange(QNetworkAccessManager& manager, const QByteArray& verb, const QUrl& url,
    const QByteArray& body = {}, const QByteArray& contentType = "application/json",
    int transferTimeout = WaitMs)
{
    QNetworkRequest request(url);
    request.setAttribute(
        QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    request.setTransferTimeout(transferTimeout);
    if (!contentType.isEmpty())
        request.setHeader(QNetworkRequest::ContentTypeHeader, contentType);

    QNetworkReply* reply = body.isEmpty() ? manager.sendCustomRequest(request, verb)
                                          : manager.sendCustomRequest(request, verb, body);
    const std::unique_ptr<QNetworkReply, void (*)(QNetworkReply*)> guard(
        reply, [](QNetworkReply* finished) { finished->deleteLater(); });
    QSignalSpy finished(reply, &QNetworkReply::finished);
    Answer answer;
    if (!reply->isFinished() && !finished.wait(2 * WaitMs)) {
        answer.error = QNetworkReply::TimeoutError;
        return answer;
    }

    answer.error = reply->error();
    answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (reply->isOpen())
        answer.body = reply->readAll();
    answer.contentType = reply->rawHeader("content-type");
    answer.location = reply->rawHeader("location");
    answer.allow = reply->rawHeader("allow");
    return answer;
}

Answer get(QNetworkAccessManager& manager, const SimulatedAgent& agent, const QString& target)
{
    return exchange(manager, "GET", endpoint(agent, target));
}

Answer post(QNetworkAccessManager& manager, const SimulatedAgent& agent, const QString& target,
    const QByteArray& body = {})
{
    return exchange(manager, "POST", endpoint(agent, target), body,
        body.isEmpty() ? QByteArray() : QByteArrayLiteral("application/json"));
}

// Takes the complete responses at the front of buffer, leaving any partial one.
QList<RawResponse> takeResponses(QByteArray& buffer)
{
    QList<RawResponse> responses;
    while (true) {
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        if (end < 0)
            break;
        RawResponse response;
        response.head = buffer.left(end);
        response.status = response.head.mid(9, 3).toInt();
        response.contentLength = response.header("content-length").toLongLong();
        if (buffer.size() < end + 4 + response.contentLength)
            break;
        response.body = buffer.mid(end + 4, response.contentLength);
        buffer.remove(0, end + 4 + response.contentLength);
        responses.append(response);
    }
    return responses;
}

// Reads until count responses arrived, the server closed, or the wait ran out.
QList<RawResponse> readResponses(QTcpSocket& socket, int count, QByteArray* rest = nullptr)
{
    QByteArray buffer;
    QList<RawResponse> responses;
    // Not every caller expects all responses: a reset or a refusal ends the wait early.
    const bool complete = QTest::qWaitFor(
        [&socket, &buffer, &responses, count] {
            buffer += socket.readAll();
            responses += takeResponses(buffer);
            return responses.size() >= count || socket.state() == QAbstractSocket::UnconnectedState;
        },
        WaitMs);
    Q_UNUSED(complete);
    buffer += socket.readAll();
    responses += takeResponses(buffer);
    if (rest)
        *rest = buffer;
    return responses;
}

bool connectRaw(QTcpSocket& socket, const SimulatedAgent& agent)
{
    socket.connectToHost(QHostAddress::LocalHost, agent.port());
    return QTest::qWaitFor(
        [&socket] { return socket.state() == QAbstractSocket::ConnectedState; }, WaitMs);
}

QByteArray chatRequest(const QByteArray& body, const QByteArray& extraHeaders = {})
{
    return "POST /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           "Content-Length: "
        + QByteArray::number(body.size()) + "\r\n" + extraHeaders + "\r\n" + body;
}

QStringList toolNames(const QJsonObject& answer)
{
    QStringList names;
    const QJsonArray calls = answer.value(u"tool_calls"_s).toArray();
    for (const QJsonValue& call : calls)
        names.append(call.toObject().value(u"tool_name"_s).toString());
    return names;
}

bool isIsoTimestamp(const QJsonValue& value)
{
    static const QRegularExpression pattern(
        u"^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}$"_s);
    return pattern.match(value.toString()).hasMatch();
}

QByteArray compact(const QJsonArray& array)
{
    return QJsonDocument(array).toJson(QJsonDocument::Compact);
}

} // namespace

class TestSimulatedAgent : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parserSplits_data();
    void parserSplits();
    void responseHead();
    void health();
    void readOnlyRoutes_data();
    void readOnlyRoutes();
    void chat_data();
    void chat();
    void chatValidation_data();
    void chatValidation();
    void repair_data();
    void repair();
    void repairRejected_data();
    void repairRejected();
    void routing_data();
    void routing();
    void randomFailures();
    void perModelQueueing();
    void deterministicWithSeed();
    void signalsAndCounters();
    void httpFaults_data();
    void httpFaults();
    void resetFaults_data();
    void resetFaults();
    void refuse();
    void hang();
    void keepAliveTimeout();
    void pipelined();
    void byteAtATime();
    void malformedRequest_data();
    void malformedRequest();
};

void TestSimulatedAgent::parserSplits_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArrayList>("methods");
    QTest::addColumn<QByteArrayList>("bodies");

    QTest::newRow("pipelinedPair")
        << QByteArray("POST /chat HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                      "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        << QByteArrayList {"POST", "GET"} << QByteArrayList {"hello", ""};
    QTest::newRow("bareLineFeeds") << QByteArray("GET / HTTP/1.1\nHOST: x\ncontent-length: 2\n\nok")
                                   << QByteArrayList {"GET"} << QByteArrayList {"ok"};
    QTest::newRow("leadingBlankLine") << QByteArray("\r\nGET /status HTTP/1.0\r\n\r\n")
                                      << QByteArrayList {"GET"} << QByteArrayList {""};
}

void TestSimulatedAgent::parserSplits()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArrayList, methods);
    QFETCH(QByteArrayList, bodies);

    // Every split in two, then one byte at a time.
    for (qsizetype split = 0; split <= input.size() + 1; ++split) {
        HttpRequestParser parser;
        QByteArrayList seenMethods;
        QByteArrayList seenBodies;
        const auto drain = [&parser, &seenMethods, &seenBodies] {
            HttpRequest request;
            while (parser.next(request) == HttpRequestParser::Result::Ready) {
                seenMethods.append(request.method);
                seenBodies.append(request.body);
            }
        };
        if (split <= input.size()) {
            parser.feed(QByteArrayView(input).first(split));
            drain();
            parser.feed(QByteArrayView(input).sliced(split));
            drain();
        } else {
            for (char byte : input) {
                parser.feed(QByteArrayView(&byte, 1));
                drain();
            }
        }
        QCOMPARE(seenMethods, methods);
        QCOMPARE(seenBodies, bodies);
        QCOMPARE(parser.bufferedBytes(), 0);
    }
}

void TestSimulatedAgent::responseHead()
{
    HttpResponse response;
    response.body = QByteArrayLiteral("{}");
    const QDateTime time(QDate(2024, 3, 5), QTime(7, 8, 9), Qt::UTC);

    QCOMPARE(response.toByteArray(time),
        QByteArray("HTTP/1.1 200 OK\r\ndate: Tue, 05 Mar 2024 07:08:09 GMT\r\nserver: uvicorn\r\n"
                   "content-length: 2\r\ncontent-type: application/json\r\n\r\n{}"));
}

void TestSimulatedAgent::health()
{
    SimulatedAgent agent;
    prepare(agent);
    QNetworkAccessManager manager;

    const Answer answer = get(manager, agent, u"/health"_s);

    QCOMPARE(answer.error, QNetworkReply::NoError);
    QCOMPARE(answer.status, 200);
    QCOMPARE(answer.contentType, QByteArray("application/json"));
    const QJsonObject json = answer.json();
    QCOMPARE(json.value(u"status"_s).toString(), u"healthy"_s);
    QCOMPARE(json.value(u"service"_s).toString(), u"ai-agent"_s);
    QCOMPARE(json.value(u"version"_s).toString(), u"2.0.0-sim"_s);
    QVERIFY(json.value(u"uptime_seconds"_s).isDouble());
}

void TestSimulatedAgent::readOnlyRoutes_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("field");

    QTest::newRow("root") << u"/"_s << u"service"_s;
    QTest::newRow("status") << u"/status"_s << u"models"_s;
    QTest::newRow("metrics") << u"/metrics"_s << u"total_requests"_s;
    QTest::newRow("prompts") << u"/prompts"_s << u"prompts"_s;
}

void TestSimulatedAgent::readOnlyRoutes()
{
    QFETCH(QString, path);
    QFETCH(QString, field);
    SimulatedAgent agent;
    prepare(agent);
    QNetworkAccessManager manager;

    const Answer answer = get(manager, agent, path);

    QCOMPARE(answer.status, 200);
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(answer.body, &error);
    QCOMPARE(error.error, QJsonParseError::NoError);
    QVERIFY(document.object().contains(field));
    if (field == u"prompts"_s) {
        const QJsonArray prompts = document.object().value(field).toArray();
        QVERIFY(!prompts.isEmpty());
        QCOMPARE(document.object().value(u"count"_s).toInt(), prompts.size());
        QVERIFY(prompts.first().toObject().value(u"text"_s).isString());
    }
}

void TestSimulatedAgent::chat_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("modelUsed");
    QTest::addColumn<QString>("answerContains");

    QTest::newRow("modelA") << QByteArray(
        R"({"message":"How is the checkout service?","model":"a"})")
                            << u"mistral:7b-instruct-v0.3"_s << u"checkout"_s;
    QTest::newRow("modelB") << QByteArray(R"({"message":"Summarise the logs","model":"b"})")
                            << u"ministral-3:8b-instruct-2512-q8_0"_s << u"Summarise"_s;
    QTest::newRow("defaultModel") << QByteArray(R"({"message":"Hello"})")
                                  << u"mistral:7b-instruct-v0.3"_s << u"Hello"_s;
    QTest::newRow("emptyMessage") << QByteArray(R"({"message":"","model":"b"})")
                                  << u"ministral-3:8b-instruct-2512-q8_0"_s
                                  << u"provide a message"_s;
    QTest::newRow("listOfPairs") << QByteArray(R"([["message","Hello pairs"]])")
                                 << u"mistral:7b-instruct-v0.3"_s << u"Hello pairs"_s;
    QTest::newRow("numberMessage")
        << QByteArray(R"({"message":42})") << u"mistral:7b-instruct-v0.3"_s << u"42"_s;
}

void TestSimulatedAgent::chat()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, modelUsed);
    QFETCH(QString, answerContains);
    SimulatedAgent agent;
    prepare(agent);
    QNetworkAccessManager manager;

    const Answer answer = post(manager, agent, u"/chat"_s, body);

    QCOMPARE(answer.status, 200);
    const QJsonObject json = answer.json();
    QVERIFY(json.value(u"response"_s).isString());
    QVERIFY2(
        json.value(u"response"_s).toString().contains(answerContains), answer.body.constData());
    QCOMPARE(json.value(u"model_used"_s).toString(), modelUsed);
    QVERIFY(json.value(u"latency_seconds"_s).isDouble());
    QVERIFY(json.value(u"latency_seconds"_s).toDouble() >= 0.0);
    QVERIFY2(isIsoTimestamp(json.value(u"timestamp"_s)), answer.body.constData());
}

void TestSimulatedAgent::chatValidation_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("loc");
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("msg");

    const QByteArray json = QByteArrayLiteral("application/json");
    QTest::newRow("badJson") << QByteArray("{not json") << json << QByteArray(R"(["body",1])")
                             << u"value_error.jsondecode"_s
                             << u"Expecting property name enclosed in double quotes: line 1 "
                                u"column 2 (char 1)"_s;
    QTest::newRow("plainWords") << QByteArray("hello") << json << QByteArray(R"(["body",0])")
                                << u"value_error.jsondecode"_s
                                << u"Expecting value: line 1 column 1 (char 0)"_s;
    QTest::newRow("extraData") << QByteArray("{\"message\":\"x\"}\n}") << json
                               << QByteArray(R"(["body",16])") << u"value_error.jsondecode"_s
                               << u"Extra data: line 2 column 1 (char 16)"_s;
    QTest::newRow("missingMessage")
        << QByteArray(R"({"model":"a"})") << json << QByteArray(R"(["body","message"])")
        << u"value_error.missing"_s << u"field required"_s;
    QTest::newRow("modelC") << QByteArray(R"({"message":"hi","model":"c"})") << json
                            << QByteArray(R"(["body","model"])") << u"value_error.const"_s
                            << u"unexpected value; permitted: 'a', 'b'"_s;
    QTest::newRow("nullMessage") << QByteArray(R"({"message":null})") << json
                                 << QByteArray(R"(["body","message"])")
                                 << u"type_error.none.not_allowed"_s
                                 << u"none is not an allowed value"_s;
    QTest::newRow("listMessage") << QByteArray(R"({"message":["a"]})") << json
                                 << QByteArray(R"(["body","message"])") << u"type_error.str"_s
                                 << u"str type expected"_s;
    QTest::newRow("notAnObject") << QByteArray(R"(["message"])") << json
                                 << QByteArray(R"(["body"])") << u"type_error.dict"_s
                                 << u"value is not a valid dict"_s;
    QTest::newRow("textPlain") << QByteArray(R"({"message":"hi"})") << QByteArray("text/plain")
                               << QByteArray(R"(["body"])") << u"type_error.dict"_s
                               << u"value is not a valid dict"_s;
    QTest::newRow("nullBody") << QByteArray("null") << json << QByteArray(R"(["body"])")
                              << u"value_error.missing"_s << u"field required"_s;
    QTest::newRow("emptyList") << QByteArray("[]") << json << QByteArray(R"(["body","message"])")
                               << u"value_error.missing"_s << u"field required"_s;
    QTest::newRow("emptyBody") << QByteArray() << json << QByteArray(R"(["body"])")
                               << u"value_error.missing"_s << u"field required"_s;
}

void TestSimulatedAgent::chatValidation()
{
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, loc);
    QFETCH(QString, type);
    QFETCH(QString, msg);
    SimulatedAgent agent;
    prepare(agent);
    QNetworkAccessManager manager;

    const Answer answer = exchange(manager, "POST", endpoint(agent, u"/chat"_s), body, contentType);

    QCOMPARE(answer.status, 422);
    const QJsonArray detail = answer.json().value(u"detail"_s).toArray();
    QCOMPARE(detail.size(), 1);
    const QJsonObject error = detail.first().toObject();
    QCOMPARE(compact(error.value(u"loc"_s).toArray()), loc);
    QCOMPARE(error.value(u"type"_s).toString(), type);
    QCOMPARE(error.value(u"msg"_s).toString(), msg);
}

void TestSimulatedAgent::repair_data()
{
    QTest::addColumn<QString>("target");
    QTest::addColumn<QStringList>("tools");
    QTest::addColumn<QStringList>("restarted");
    QTest::addColumn<QString>("modelUsed");

    const QString a = u"mistral:7b-instruct-v0.3"_s;
    QTest::newRow("minimal") << u"/repair?model=a&workflow=minimal_single_tool"_s
                             << QStringList {u"system_health"_s} << QStringList() << a;
    QTest::newRow("forcedFull") << u"/repair?model=b&workflow=forced_full_repair"_s
                                << QStringList {u"system_health"_s, u"service_restart"_s,
                                       u"system_health"_s}
                                << QStringList {u"api-gateway"_s}
                                << u"ministral-3:8b-instruct-2512-q8_0"_s;
    QTest::newRow("deterministic")
        << u"/repair?workflow=repair_deterministic"_s << QStringList() << QStringList() << a;
    QTest::newRow("openEnded") << u"/repair?model=a&workflow=repair_open_ended"_s << QStringList()
                               << QStringList() << a;
    QTest::newRow("noWorkflow") << u"/repair"_s << QStringList() << QStringList() << a;
}

void TestSimulatedAgent::repair()
{
    QFETCH(QString, target);
    QFETCH(QStringList, tools);
    QFETCH(QStringList, restarted);
    QFETCH(QString, modelUsed);
    SimulatedAgent agent;
    prepare(agent);
    QNetworkAccessManager manager;

    const Answer answer = post(manager, agent, target);

    QCOMPARE(answer.status, 200);
    const QJsonObject json = answer.json();
    QCOMPARE(json.value(u"success"_s), QJsonValue(true));
    QCOMPARE(json.value(u"final_status"_s).toString(), u"healthy"_s);
    QCOMPARE(json.value(u"model_used"_s).toString(), modelUsed);
    QVERIFY(json.value(u"latency_seconds"_s).isDouble());
    QVERIFY(isIsoTimestamp(json.value(u"timestamp"_s)));
    const QJsonValue reasoning = json.value(u"ai_reasoning"_s);
    QVERIFY(reasoning.isString() || reasoning.isNull());

    const QStringList names = toolNames(json);
    if (tools.isEmpty()) {
        QVERIFY(names.size() >= 1 && names.size() <= 4);
        QCOMPARE(names.first(), u"system_health"_s);
    } else {
        QCOMPARE(names, tools);
        QCOMPARE(json.value(u"containers_restarted"_s).toVariant().toStringList(), restarted);
    }
    QCOMPARE(json.value(u"actions_taken"_s).toArray().size(), names.size());

    const QJsonArray calls = json.value(u"tool_calls"_s).toArray();
    for (const QJsonValue& value : calls) {
        const QJsonObject call = value.toObject();
        QVERIFY(call.value(u"arguments"_s).isObject());
        QCOMPARE(call.value(u"success"_s), QJsonValue(true));
        QVERIFY(call.value(u"result"_s).isString());
        QVERIFY(call.value(u"result"_s).toString().size() <= 200);
        QVERIFY(call.value(u"error"_s).isNull());
        QVERIFY(isIsoTimestamp(call.value(u"timestamp"_s)));
    }
}

void TestSimulatedAgent::repairRejected_data()
{
    QTest::addColumn<QString>("target");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("detail");

    QTest::newRow("modelC")
        << u"/repair?model=c&workflow=minimal_single_tool"_s << 422
        << QByteArray(
               R"([{"ctx":{"given":"c","permitted":["a","b"]},"loc":["query","model"],)"
               R"("msg":"unexpected value; permitted: 'a', 'b'","type":"value_error.const"}])");
    QTest::newRow("unknownWorkflow")
        << u"/repair?workflow=bogus"_s << 500
        << QByteArray(R"("Repair workflow failed: unknown workflow bogus")");
}

void TestSimulatedAgent::repairRejected()
{
    QFETCH(QString, target);
    QFETCH(int, status);
    QFETCH(QByteArray, detail);
    SimulatedAgent agent;
    prepare(agent);
    QNetworkAccessManager manager;

    const Answer answer = post(manager, agent, target);

    QCOMPARE(answer.status, status);
    QCOMPARE(answer.body, R"({"detail":)" + detail + '}');
}

void TestSimulatedAgent::routing_data()
{
    QTest::addColumn<QByteArray>("verb");
    QTest::addColumn<QString>("target");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("detail");
    QTest::addColumn<QString>("location"); // after the origin
    QTest::addColumn<QByteArray>("allow");

    QTest::newRow("unknownPath") << QByteArray("GET") << u"/nope"_s << 404 << u"Not Found"_s
                                 << QString() << QByteArray();
    QTest::newRow("postHealth") << QByteArray("POST") << u"/health"_s << 405
                                << u"Method Not Allowed"_s << QString() << QByteArray("GET");
    QTest::newRow("getChat") << QByteArray("GET") << u"/chat"_s << 405 << u"Method Not Allowed"_s
                             << QString() << QByteArray("POST");
    QTest::newRow("chatSlash") << QByteArray("POST") << u"/chat/"_s << 307 << QString()
                               << u"/chat"_s << QByteArray();
    QTest::newRow("repairSlashQuery") << QByteArray("POST") << u"/repair/?model=b"_s << 307
                                      << QString() << u"/repair?model=b"_s << QByteArray();
    QTest::newRow("healthSlash") << QByteArray("GET") << u"/health/"_s << 307 << QString()
                                 << u"/health"_s << QByteArray();
}

void TestSimulatedAgent::routing()
{
    QFETCH(QByteArray, verb);
    QFETCH(QString, target);
    QFETCH(int, status);
    QFETCH(QString, detail);
    QFETCH(QString, location);
    QFETCH(QByteArray, allow);
    SimulatedAgent agent;
    prepare(agent);
    QNetworkAccessManager manager;

    const Answer answer = exchange(manager, verb, endpoint(agent, target), {}, {});

    QCOMPARE(answer.status, status);
    QCOMPARE(answer.allow, allow);
    if (!detail.isEmpty())
        QCOMPARE(answer.json().value(u"detail"_s).toString(), detail);
    if (!location.isEmpty()) {
        QCOMPARE(QString::fromLatin1(answer.location), agent.url().toString() + location);
        QVERIFY(answer.body.isEmpty());
    }
}

void TestSimulatedAgent::randomFailures()
{
    SimulatedAgent agent;
    prepare(agent);
    QNetworkAccessManager manager;

    agent.setFailureRate(1.0);
    const Answer chat = post(manager, agent, u"/chat"_s, R"({"message":"hi"})");
    const Answer repair = post(manager, agent, u"/repair?workflow=minimal_single_tool"_s);
    agent.setFailureRate(0.0);
    agent.setAgentFailureRate(1.0);
    const Answer verdict = post(manager, agent, u"/repair?workflow=forced_full_repair"_s);

    QCOMPARE(chat.status, 500);
    QVERIFY(chat.json().value(u"detail"_s).toString().startsWith(u"Chat failed: "_s));
    QCOMPARE(repair.status, 500);
    QVERIFY(repair.json().value(u"detail"_s).toString().startsWith(u"Repair workflow failed: "_s));
    QCOMPARE(verdict.status, 200);
    QCOMPARE(verdict.json().value(u"success"_s), QJsonValue(false));
    const QJsonArray calls = verdict.json().value(u"tool_calls"_s).toArray();
    QCOMPARE(calls.last().toObject().value(u"success"_s), QJsonValue(false));
    QVERIFY(calls.last().toObject().value(u"error"_s).isString());
}

void TestSimulatedAgent::perModelQueueing()
{
    // Chat takes 4-12 simulated seconds on model A and 15% longer on B; at speed 100
    // four queued A requests need at least 160 ms, one B request at most 138 ms.
    SimulatedAgent agent;
    prepare(agent, 100.0);
    QNetworkAccessManager manager;
    QElapsedTimer clock;
    QList<QNetworkReply*> replies;
    QList<QNetworkReply*> finishOrder;
    QHash<QNetworkReply*, qint64> finishedAt;

    const auto send
        = [&manager, &agent, &replies, &finishOrder, &finishedAt, &clock](const QByteArray& body) {
              QNetworkRequest request(endpoint(agent, u"/chat"_s));
              request.setHeader(
                  QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
              QNetworkReply* reply = manager.post(request, body);
              QObject::connect(reply, &QNetworkReply::finished, reply,
                  [reply, &finishOrder, &finishedAt, &clock] {
                      finishOrder.append(reply);
                      finishedAt.insert(reply, clock.elapsed());
                  });
              replies.append(reply);
          };
    // B leaves once the agent holds all four A requests, so it cannot overtake them.
    connect(&agent, &SimulatedAgent::requestReceived, &agent, [&agent, &send] {
        if (agent.requestCount() == 4)
            send(R"({"message":"parallel","model":"b"})");
    });
    clock.start();
    for (int i = 0; i < 4; ++i)
        send(R"({"message":"queued","model":"a"})");
    QTRY_COMPARE_WITH_TIMEOUT(finishOrder.size(), 5, WaitMs);

    QNetworkReply* b = replies.at(4);
    QList<QNetworkReply*> aOrder = finishOrder;
    aOrder.removeOne(b);
    double previousLatency = -1.0;
    for (QNetworkReply* reply : std::as_const(aOrder)) {
        QCOMPARE(reply->error(), QNetworkReply::NoError);
        const double latency = QJsonDocument::fromJson(reply->readAll())
                                   .object()
                                   .value(u"latency_seconds"_s)
                                   .toDouble();
        QVERIFY2(latency > previousLatency, "each queued A answer waited for the one before");
        previousLatency = latency;
    }
    QVERIFY2(finishedAt.value(aOrder.last()) >= 155, "four A answers were served one at a time");
    QVERIFY2(finishOrder.indexOf(b) < 4, "B did not wait behind model A's queue");
    QCOMPARE(QJsonDocument::fromJson(b->readAll()).object().value(u"model_used"_s).toString(),
        u"ministral-3:8b-instruct-2512-q8_0"_s);
    for (QNetworkReply* reply : std::as_const(replies))
        reply->deleteLater();
}

void TestSimulatedAgent::deterministicWithSeed()
{
    QStringList runs;
    for (int run = 0; run < 2; ++run) {
        SimulatedAgent agent;
        prepare(agent);
        QNetworkAccessManager manager;
        QString transcript;
        for (int i = 0; i < 3; ++i) {
            transcript += post(manager, agent, u"/chat"_s, R"({"message":"Same prompt"})")
                              .json()
                              .value(u"response"_s)
                              .toString();
            transcript += toolNames(post(manager, agent, u"/repair?model=b"_s).json()).join(u',');
        }
        runs.append(transcript);
    }

    QCOMPARE(runs.at(0), runs.at(1));
}

void TestSimulatedAgent::signalsAndCounters()
{
    SimulatedAgent agent;
    prepare(agent);
    QSignalSpy received(&agent, &SimulatedAgent::requestReceived);
    QSignalSpy answered(&agent, &SimulatedAgent::requestAnswered);
    QTcpSocket socket;
    QVERIFY(connectRaw(socket, agent));

    const QByteArray body = R"({"message":"hi"})";
    socket.write(chatRequest(body));
    socket.write("GET /health?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const QList<RawResponse> responses = readResponses(socket, 2);

    QCOMPARE(responses.size(), 2);
    QCOMPARE(received.size(), 2);
    QCOMPARE(received.at(0).at(0).toString(), u"POST"_s);
    QCOMPARE(received.at(0).at(1).toString(), u"/chat"_s);
    QCOMPARE(received.at(0).at(2).toByteArray(), body);
    QCOMPARE(received.at(1).at(1).toString(), u"/health?x=1"_s);
    QCOMPARE(answered.size(), 2);
    QCOMPARE(answered.at(1).at(2).toInt(), 200);
    QCOMPARE(agent.requestCount(), 2);
    QCOMPARE(agent.connectionCount(), 1);
}

void TestSimulatedAgent::httpFaults_data()
{
    QTest::addColumn<Fault>("fault");
    QTest::addColumn<QString>("target");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QString>("expect"); // json, detail, not-json, empty, no-response, ...

    const QByteArray json = QByteArrayLiteral("application/json");
    const QString chat = u"/chat"_s;
    const QString repair = u"/repair?model=a&workflow=minimal_single_tool"_s;
    QTest::newRow("http500Chat") << Fault::Http500 << chat << 500 << json << u"detail"_s;
    QTest::newRow("http500Repair") << Fault::Http500 << repair << 500 << json << u"detail"_s;
    QTest::newRow("http502") << Fault::Http502 << chat << 502 << json << u"detail"_s;
    QTest::newRow("http422") << Fault::Http422 << chat << 422 << json << u"detail-list"_s;
    QTest::newRow("notJson") << Fault::NotJson << chat << 200
                             << QByteArray("text/html; charset=utf-8") << u"not-json"_s;
    QTest::newRow("truncatedJson")
        << Fault::TruncatedJson << repair << 200 << json << u"not-json"_s;
    QTest::newRow("wrongShape") << Fault::WrongShape << chat << 200 << json << u"no-response"_s;
    QTest::newRow("emptyBody") << Fault::EmptyBody << chat << 200 << json << u"empty"_s;
    QTest::newRow("redirect307") << Fault::Redirect307 << chat << 307 << QByteArray()
                                 << u"redirect"_s;
    QTest::newRow("repairFailure")
        << Fault::RepairFailure << repair << 200 << json << u"unsuccessful"_s;
    QTest::newRow("repairFailureSparesChat")
        << Fault::RepairFailure << chat << 200 << json << u"has-response"_s;
}

void TestSimulatedAgent::httpFaults()
{
    QFETCH(Fault, fault);
    QFETCH(QString, target);
    QFETCH(int, status);
    QFETCH(QByteArray, contentType);
    QFETCH(QString, expect);
    SimulatedAgent agent;
    prepare(agent);
    agent.setFault(fault);
    QNetworkAccessManager manager;

    const Answer answer = post(manager, agent, target, R"({"message":"hi"})");
    const Answer health = get(manager, agent, u"/health"_s);

    QCOMPARE(answer.status, status);
    QCOMPARE(answer.contentType, contentType);
    QCOMPARE(health.status, 200);
    const QJsonObject json = answer.json();
    if (expect == u"detail"_s) {
        QVERIFY(json.value(u"detail"_s).isString());
    } else if (expect == u"detail-list"_s) {
        QVERIFY(json.value(u"detail"_s).isArray());
    } else if (expect == u"not-json"_s) {
        QVERIFY(!answer.body.isEmpty());
        QJsonParseError error;
        QJsonDocument::fromJson(answer.body, &error);
        QVERIFY(error.error != QJsonParseError::NoError);
    } else if (expect == u"no-response"_s) {
        QVERIFY(!json.isEmpty());
        QVERIFY(!json.contains(u"response"_s));
    } else if (expect == u"empty"_s) {
        QVERIFY(answer.body.isEmpty());
    } else if (expect == u"redirect"_s) {
        QCOMPARE(QString::fromLatin1(answer.location), agent.url().toString() + u"/chat/"_s);
    } else if (expect == u"unsuccessful"_s) {
        QCOMPARE(json.value(u"success"_s), QJsonValue(false));
    } else if (expect == u"has-response"_s) {
        QVERIFY(json.value(u"response"_s).isString());
    }
}

void TestSimulatedAgent::resetFaults_data()
{
    QTest::addColumn<Fault>("fault");

    QTest::newRow("beforeAnswer") << Fault::ResetBeforeAnswer;
    QTest::newRow("midBody") << Fault::ResetMidBody;
}

void TestSimulatedAgent::resetFaults()
{
    QFETCH(Fault, fault);
    SimulatedAgent agent;
    prepare(agent);
    agent.setFault(fault);
    QSignalSpy answered(&agent, &SimulatedAgent::requestAnswered);
    QTcpSocket socket;
    QVERIFY(connectRaw(socket, agent));

    socket.write(chatRequest(R"({"message":"hi"})"));
    QByteArray partial;
    const QList<RawResponse> responses = readResponses(socket, 1, &partial);

    QCOMPARE(socket.state(), QAbstractSocket::UnconnectedState);
    QVERIFY(responses.isEmpty());
    QCOMPARE(answered.size(), 1);
    QCOMPARE(answered.first().at(2).toInt(), 0);
    if (fault == Fault::ResetBeforeAnswer) {
        QVERIFY(partial.isEmpty());
    } else {
        QVERIFY(partial.startsWith("HTTP/1.1 200 OK\r\n"));
        const qsizetype headEnd = partial.indexOf("\r\n\r\n");
        QVERIFY(headEnd > 0);
        RawResponse head;
        head.head = partial.left(headEnd);
        QVERIFY(partial.size() - headEnd - 4 > 0);
        QVERIFY(partial.size() - headEnd - 4 < head.header("content-length").toLongLong());
    }

    QNetworkAccessManager manager;
    const Answer answer = post(manager, agent, u"/chat"_s, R"({"message":"hi"})");
    QVERIFY(answer.error != QNetworkReply::NoError);
    QCOMPARE(get(manager, agent, u"/health"_s).status, 200);
}

void TestSimulatedAgent::refuse()
{
    SimulatedAgent agent;
    prepare(agent);
    const quint16 port = agent.port();
    QTcpSocket kept;
    QVERIFY(connectRaw(kept, agent));

    agent.setFault(Fault::Refuse);
    QTcpSocket socket;
    QSignalSpy failed(&socket, &QAbstractSocket::errorOccurred);
    socket.connectToHost(QHostAddress::LocalHost, port);

    QVERIFY(failed.wait(WaitMs));
    QCOMPARE(socket.error(), QAbstractSocket::ConnectionRefusedError);
    QTRY_COMPARE_WITH_TIMEOUT(kept.state(), QAbstractSocket::UnconnectedState, WaitMs);
    QNetworkAccessManager manager;
    QCOMPARE(get(manager, agent, u"/health"_s).error, QNetworkReply::ConnectionRefusedError);

    agent.setFault(Fault::None);
    QCOMPARE(agent.port(), port);
    QCOMPARE(get(manager, agent, u"/health"_s).status, 200);
}

void TestSimulatedAgent::hang()
{
    SimulatedAgent agent;
    prepare(agent);
    agent.setFault(Fault::Hang);
    QTcpSocket socket;
    QVERIFY(connectRaw(socket, agent));
    QSignalSpy readable(&socket, &QIODevice::readyRead);

    socket.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

    QVERIFY(!readable.wait(300));
    QCOMPARE(socket.state(), QAbstractSocket::ConnectedState);
    QCOMPARE(agent.requestCount(), 1);

    QNetworkAccessManager manager;
    const Answer answer = exchange(manager, "POST", endpoint(agent, u"/chat"_s),
        R"({"message":"hi"})", "application/json", 200);
    QVERIFY(answer.error != QNetworkReply::NoError);
    QCOMPARE(answer.status, 0);
    QCOMPARE(agent.requestCount(), 2);

    agent.setFault(Fault::None);
    QCOMPARE(get(manager, agent, u"/health"_s).status, 200);
}

void TestSimulatedAgent::keepAliveTimeout()
{
    SimulatedAgent agent;
    prepare(agent);
    agent.setKeepAliveTimeout(150);
    QTcpSocket socket;
    QVERIFY(connectRaw(socket, agent));
    QSignalSpy disconnected(&socket, &QAbstractSocket::disconnected);

    for (int i = 0; i < 2; ++i) {
        socket.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        const QList<RawResponse> responses = readResponses(socket, 1);
        QCOMPARE(responses.size(), 1);
        QCOMPARE(responses.first().status, 200);
        QCOMPARE(responses.first().header("connection"), QByteArray());
    }
    QElapsedTimer idle;
    idle.start();

    QVERIFY(disconnected.wait(WaitMs));
    QVERIFY(idle.elapsed() >= 100);
    QCOMPARE(agent.connectionCount(), 1);
    QCOMPARE(agent.requestCount(), 2);
    QTRY_COMPARE_WITH_TIMEOUT(agent.openConnectionCount(), 0, WaitMs);
}

void TestSimulatedAgent::pipelined()
{
    SimulatedAgent agent;
    prepare(agent);
    QTcpSocket socket;
    QVERIFY(connectRaw(socket, agent));

    socket.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        + chatRequest(R"({"message":"first","model":"b"})")
        + "GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        + "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    const QList<RawResponse> responses = readResponses(socket, 4);

    QCOMPARE(responses.size(), 4);
    QCOMPARE(responses.at(0).status, 200);
    QVERIFY(responses.at(0).body.contains("healthy"));
    QCOMPARE(responses.at(1).status, 200);
    QVERIFY(responses.at(1).body.contains("ministral"));
    QCOMPARE(responses.at(2).status, 404);
    QCOMPARE(responses.at(3).status, 200);
    QCOMPARE(responses.at(3).header("connection"), QByteArray("close"));
    QTRY_COMPARE_WITH_TIMEOUT(socket.state(), QAbstractSocket::UnconnectedState, WaitMs);
}

void TestSimulatedAgent::byteAtATime()
{
    SimulatedAgent agent;
    prepare(agent);
    QTcpSocket socket;
    QVERIFY(connectRaw(socket, agent));
    socket.setSocketOption(QAbstractSocket::LowDelayOption, 1);

    const QByteArray request = chatRequest(R"({"message":"slowly"})");
    for (char byte : request) {
        socket.write(&byte, 1);
        socket.flush();
        QCoreApplication::processEvents();
    }
    const QList<RawResponse> responses = readResponses(socket, 1);

    QCOMPARE(responses.size(), 1);
    QCOMPARE(responses.first().status, 200);
    QVERIFY(responses.first().body.contains("slowly"));
    QCOMPARE(agent.requestCount(), 1);
}

void TestSimulatedAgent::malformedRequest_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");

    QTest::newRow("garbage") << QByteArray("HELLO THERE\r\n\r\n") << 400;
    QTest::newRow("badVersion") << QByteArray("GET /health HTTP/2.0\r\nHost: x\r\n\r\n") << 400;
    QTest::newRow("noHost") << QByteArray("GET /health HTTP/1.1\r\n\r\n") << 400;
    QTest::newRow("badHeader") << QByteArray("GET /health HTTP/1.1\r\nHost x\r\n\r\n") << 400;
    QTest::newRow("badLength") << QByteArray(
        "POST /chat HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n")
                               << 400;
    QTest::newRow("chunked") << QByteArray(
        "POST /chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                             << 411;
    QTest::newRow("bodyTooLarge") << QByteArray(
        "POST /chat HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n")
                                  << 413;
    QTest::newRow("headTooLarge") << QByteArray(
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + QByteArray(70 * 1024, 'a'))
                                  << 431;
}

void TestSimulatedAgent::malformedRequest()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    SimulatedAgent agent;
    prepare(agent);
    QTcpSocket socket;
    QVERIFY(connectRaw(socket, agent));

    socket.write(request);
    const QList<RawResponse> responses = readResponses(socket, 1);

    QCOMPARE(responses.size(), 1);
    QCOMPARE(responses.first().status, status);
    QCOMPARE(responses.first().header("connection"), QByteArray("close"));
    QTRY_COMPARE_WITH_TIMEOUT(socket.state(), QAbstractSocket::UnconnectedState, WaitMs);
    QCOMPARE(agent.requestCount(), 0);
}

QTEST_GUILESS_MAIN(TestSimulatedAgent)
#include "tst_simulatedagent.moc"
