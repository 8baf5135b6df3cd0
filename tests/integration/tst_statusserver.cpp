#include "engine/clock.h"
#include "engine/loadengine.h"
#include "fakesender.h"
#include "stats/statsaggregator.h"
#include "web/guardedtcpserver.h"
#include "web/prometheusmetrics.h"
#include "web/statusserver.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

#include <chrono>

using namespace Qt::StringLiterals;
using aimload::EngineSettings;
using aimload::GuardedTcpServer;
using aimload::LoadEngine;
using aimload::ManualClock;
using aimload::Model;
using aimload::Outcome;
using aimload::PrometheusMetrics;
using aimload::PromptPool;
using aimload::RequestRecord;
using aimload::StatsAggregator;
using aimload::StatusServer;
using aimload::test::FakeSender;

namespace {

constexpr qint64 NsPerSecond = 1'000'000'000;
const QString Token = u"s3cret-Token_0123456789"_s;

const char PoolJson[] = R"({
  "version": 1,
  "groups": [
    {"name": "chat <b>\"quoted\"</b>", "weight": 1, "prompts": [
      {"id": "greeting", "description": "<img src=x onerror=alert(1)>", "text": "Hello there",
       "endpoint": "/chat", "expected_tool_calls": 0, "expect_success": true}]}
  ]
})";

PromptPool testPool()
{
    QString error;
    std::optional<PromptPool> pool = PromptPool::fromJson(QByteArray(PoolJson), u"pool"_s, &error);
    if (!pool)
        qFatal("the test's prompt pool does not load: %s", qPrintable(error));
    return *pool;
}

EngineSettings engineSettings()
{
    EngineSettings settings;
    settings.pacing = std::chrono::seconds(720);
    settings.waitHealthy = false;
    settings.seed = 11;
    return settings;
}

// Everything a status server serves, on a manual clock with a scripted sender.
struct Rig
{
    explicit Rig(const QString& token = Token, const GuardedTcpServer::Limits& limits = {})
        : engine(engineSettings(), testPool(), &sender, &clock)
        , server(&engine, &stats, &metrics, token)
    {
        QObject::connect(&engine, &LoadEngine::requestFinished, &stats, &StatsAggregator::add);
        metrics.attach(&engine);
        server.setLimits(limits);
        listening = server.listen(QHostAddress::LocalHost, 0, &error);
    }

    QUrl url(const QString& pathAndQuery) const
    {
        return QUrl(u"http://127.0.0.1:%1%2"_s.arg(server.port()).arg(pathAndQuery));
    }

    // Runs one cycle: Model A answers after 1.2 s, Model B fails after 0.8 s.
    void runCycle()
    {
        clock.advanceMs(1200);
        sender.finish(sender.open().constFirst().id, Outcome::Ok, 1200);
        clock.advanceMs(800);
        sender.finish(sender.open().constFirst().id, Outcome::HttpError, 800);
    }

    ManualClock clock;
    FakeSender sender;
    LoadEngine engine;
    StatsAggregator stats;
    PrometheusMetrics metrics;
    StatusServer server;
    bool listening = false;
    QString error;
};

struct Reply
{
    bool finished = false;
    int status = 0;
    QByteArray contentType;
    QByteArray body;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    QHash<QByteArray, QByteArray> headers; // names in lower case

    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
};

using Headers = QList<std::pair<QByteArray, QByteArray>>;

Reply send(const QByteArray& verb, const QUrl& url, const Headers& headers = {})
{
    QNetworkAccessManager manager;
    manager.setProxy(QNetworkProxy::NoProxy);
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json"_ba);
    for (const auto& [name, value] : headers)
        request.setRawHeader(name, value);

    QNetworkReply* reply = verb == "GET" ? manager.get(request)
        : verb == "POST"                 ? manager.post(request, QByteArray())
                                         : manager.sendCustomRequest(request, verb);
    QSignalSpy done(reply, &QNetworkReply::finished);
    Reply result;
    result.finished = reply->isFinished() || done.wait(10'000);
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    result.contentType = reply->rawHeader("Content-Type");
    result.body = reply->readAll();
    result.error = reply->error();
    for (const auto& [name, value] : reply->rawHeaderPairs())
        result.headers.insert(name.toLower(), value);
    reply->deleteLater();
    return result;
}

Reply get(const QUrl& url, const Headers& headers = {})
{
    return send("GET"_ba, url, headers);
}

Reply post(const QUrl& url, const Headers& headers = {})
{
    return send("POST"_ba, url, headers);
}

Headers bearer(const QString& token)
{
    return {{"Authorization"_ba, "Bearer "_ba + token.toUtf8()}};
}

// Sends raw bytes and reads until the server has sent a whole answer, or closed.
QByteArray exchangeRaw(quint16 port, const QByteArray& bytes, int timeoutMs = 5000)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(2000))
        return {};
    socket.write(bytes);

    QByteArray answer;
    QElapsedTimer elapsed;
    elapsed.start();
    static const QRegularExpression contentLength(
        u"\r\nContent-Length: (\\d+)\r\n"_s, QRegularExpression::CaseInsensitiveOption);
    while (elapsed.elapsed() < timeoutMs) {
        QTest::qWait(5);
        answer += socket.readAll();
        const qsizetype headEnd = answer.indexOf("\r\n\r\n");
        const QRegularExpressionMatch match
            = contentLength.match(QString::fromLatin1(answer.left(headEnd + 2)));
        if (headEnd >= 0 && match.hasMatch()
            && answer.size() >= headEnd + 4 + match.captured(1).toLongLong())
            break;
        if (socket.state() == QAbstractSocket::UnconnectedState)
            break;
    }
    return answer;
}

int statusOf(const QByteArray& answer)
{
    static const QRegularExpression statusLine(u"^HTTP/1\\.[01] (\\d{3}) "_s);
    const QRegularExpressionMatch match = statusLine.match(QString::fromLatin1(answer.left(64)));
    return match.hasMatch() ? match.captured(1).toInt() : 0;
}

QStringList g_messages;
QtMessageHandler g_previousHandler = nullptr;

void captureMessage(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
    g_messages.append(QString::fromLatin1(context.category) + u": "_s + message);
    if (g_previousHandler)
        g_previousHandler(type, context, message);
}

// Collects every log message while it lives.
class MessageCapture
{
public:
    MessageCapture()
    {
        g_messages.clear();
        g_previousHandler = qInstallMessageHandler(captureMessage);
    }
    ~MessageCapture() { qInstallMessageHandler(g_previousHandler); }

    QString all() const { return g_messages.join(u'\n'); }
};

QJsonObject rowOf(const QJsonArray& rows, const QString& model)
{
    for (const QJsonValue& row : rows) {
        if (row[u"model"_s].toString() == model)
            return row.toObject();
    }
    return {};
}

} // namespace

class TestStatusServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void routes_data();
    void routes();
    void statsFollowEngine();
    void requestsNewestFirst();
    void requestsLeaveOutBodies();
    void requestLimit_data();
    void requestLimit();
    void pageIsSelfContained();
    void metricsParseAndCount();
    void controlDisabledWithoutToken_data();
    void controlDisabledWithoutToken();
    void controlRefusesWrongToken_data();
    void controlRefusesWrongToken();
    void controlWithToken();
    void malformedRequests_data();
    void malformedRequests();
    void requestInPieces();
    void slowRequestTimesOut();
    void shutsDownWithOpenConnections();
    void connectionLimit();
    void listenFailureNamesAddress();
};

void TestStatusServer::routes_data()
{
    QTest::addColumn<QByteArray>("verb");
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("contentType");

    QTest::newRow("page") << "GET"_ba << u"/"_s << 200 << "text/html; charset=utf-8"_ba;
    QTest::newRow("stats") << "GET"_ba << u"/api/stats"_s << 200 << "application/json"_ba;
    QTest::newRow("requests") << "GET"_ba << u"/api/requests"_s << 200 << "application/json"_ba;
    QTest::newRow("requestsLimited")
        << "GET"_ba << u"/api/requests?limit=5"_s << 200 << "application/json"_ba;
    QTest::newRow("metrics") << "GET"_ba << u"/metrics"_s << 200
                             << "text/plain; version=0.0.4; charset=utf-8"_ba;
    QTest::newRow("healthz") << "GET"_ba << u"/healthz"_s << 200 << "application/json"_ba;
    QTest::newRow("unknownPath") << "GET"_ba << u"/nope"_s << 404 << "application/json"_ba;
    QTest::newRow("trailingSlash") << "GET"_ba << u"/api/stats/"_s << 404 << "application/json"_ba;
    QTest::newRow("postStats") << "POST"_ba << u"/api/stats"_s << 405 << "application/json"_ba;
    QTest::newRow("deleteMetrics") << "DELETE"_ba << u"/metrics"_s << 405 << "application/json"_ba;
    QTest::newRow("getStart") << "GET"_ba << u"/api/start"_s << 405 << "application/json"_ba;
    QTest::newRow("putTrigger") << "PUT"_ba << u"/api/trigger"_s << 405 << "application/json"_ba;
    QTest::newRow("postUnauthorized")
        << "POST"_ba << u"/api/stop"_s << 401 << "application/json"_ba;
}

void TestStatusServer::routes()
{
    QFETCH(QByteArray, verb);
    QFETCH(QString, path);
    QFETCH(int, status);
    QFETCH(QByteArray, contentType);
    Rig rig;
    QVERIFY2(rig.listening, qPrintable(rig.error));

    const Reply reply = send(verb, rig.url(path));

    QVERIFY(reply.finished);
    QCOMPARE(reply.status, status);
    QCOMPARE(reply.contentType, contentType);
    QCOMPARE(reply.headers.value("cache-control"), "no-store"_ba);
    QCOMPARE(reply.headers.value("x-content-type-options"), "nosniff"_ba);
    if (contentType == "application/json") {
        QJsonParseError error;
        QJsonDocument::fromJson(reply.body, &error);
        QCOMPARE(error.error, QJsonParseError::NoError);
    }
    if (status >= 400)
        QCOMPARE(reply.json()[u"status"_s].toInt(), status);
    const bool control
        = path == u"/api/start"_s || path == u"/api/stop"_s || path == u"/api/trigger"_s;
    if (status == 405)
        QCOMPARE(reply.headers.value("allow"), control ? "POST"_ba : "GET"_ba);
}

void TestStatusServer::statsFollowEngine()
{
    Rig rig;
    QVERIFY2(rig.listening, qPrintable(rig.error));

    const QJsonObject idle = get(rig.url(u"/api/stats"_s)).json();
    QCOMPARE(idle[u"state"_s].toString(), u"idle"_s);
    QVERIFY(idle[u"next_cycle_in_seconds"_s].isNull());

    rig.engine.start();
    rig.runCycle();
    rig.clock.advanceMs(98'000); // 100 s into the 720 s pacing
    const Reply reply = get(rig.url(u"/api/stats"_s));
    const QJsonObject stats = reply.json();

    QCOMPARE(reply.status, 200);
    QCOMPARE(stats[u"state"_s].toString(), u"running"_s);
    QCOMPARE(stats[u"cycles_started"_s].toInteger(), 1);
    QCOMPARE(stats[u"cycles_completed"_s].toInteger(), 1);
    QCOMPARE(stats[u"slots_skipped"_s].toInteger(), 0);
    QCOMPARE(stats[u"requests_in_flight"_s].toInteger(), 0);
    QCOMPARE(stats[u"next_cycle_in_seconds"_s].toDouble(), 620.0);
    QCOMPARE(stats[u"pacing_seconds"_s].toDouble(), 720.0);
    QCOMPARE(stats[u"control_enabled"_s].toBool(), true);

    const QJsonArray rows = stats[u"rows"_s].toArray();
    QCOMPARE(rows.size(), 2);
    const QJsonObject a = rowOf(rows, u"a"_s);
    QCOMPARE(a[u"group"_s].toString(), u"chat <b>\"quoted\"</b>"_s);
    QCOMPARE(a[u"requests"_s].toInteger(), 1);
    QCOMPARE(a[u"failures"_s].toInteger(), 0);
    QCOMPARE(a[u"median_ms"_s].toDouble(), 1200.0);
    const QJsonObject b = rowOf(rows, u"b"_s);
    QCOMPARE(b[u"failures"_s].toInteger(), 1);
    QCOMPARE(b[u"failure_rate"_s].toDouble(), 1.0);
    QCOMPARE(b[u"p95_ms"_s].toDouble(), 800.0);
    QCOMPARE(stats[u"models"_s][u"a"_s][u"requests"_s].toInteger(), 1);
    QCOMPARE(stats[u"models"_s][u"b"_s][u"failures"_s].toInteger(), 1);
    QCOMPARE(stats[u"total"_s][u"requests"_s].toInteger(), 2);
    QVERIFY(stats[u"total"_s][u"model"_s].isNull());

    const QJsonObject health = get(rig.url(u"/healthz"_s)).json();
    QCOMPARE(health[u"status"_s].toString(), u"ok"_s);
    QCOMPARE(health[u"state"_s].toString(), u"running"_s);
}

void TestStatusServer::requestsNewestFirst()
{
    Rig rig;
    QVERIFY2(rig.listening, qPrintable(rig.error));
    rig.engine.start();
    rig.runCycle();
    rig.clock.advanceNs(720 * NsPerSecond); // cycle 2 starts; its Model A is in flight

    const QJsonObject all = get(rig.url(u"/api/requests"_s)).json();
    const QJsonObject one = get(rig.url(u"/api/requests?limit=1"_s)).json();

    QCOMPARE(all[u"limit"_s].toInt(), StatusServer::DefaultRequestLimit);
    QCOMPARE(all[u"count"_s].toInt(), 3);
    const QJsonArray list = all[u"requests"_s].toArray();
    QCOMPARE(list.size(), 3);
    QCOMPARE(list[0][u"cycle"_s].toInt(), 2);
    QCOMPARE(list[0][u"outcome"_s].toString(), u"pending"_s);
    QVERIFY(list[0][u"latency_ms"_s].isNull());
    QCOMPARE(list[1][u"model"_s].toString(), u"b"_s);
    QCOMPARE(list[1][u"outcome"_s].toString(), u"http_error"_s);
    QCOMPARE(list[1][u"http_status"_s].toInt(), 500);
    QCOMPARE(list[1][u"latency_ms"_s].toDouble(), 800.0);
    QCOMPARE(list[2][u"model"_s].toString(), u"a"_s);
    QCOMPARE(list[2][u"outcome"_s].toString(), u"ok"_s);
    QCOMPARE(list[2][u"endpoint"_s].toString(), u"chat"_s);
    QCOMPARE(list[2][u"description"_s].toString(), u"<img src=x onerror=alert(1)>"_s);
    QCOMPARE(list[2][u"message"_s].toString(), u"Hello there"_s);
    QCOMPARE(one[u"count"_s].toInt(), 1);
    QCOMPARE(one[u"requests"_s][0][u"id"_s], list[0][u"id"_s]);
}

void TestStatusServer::requestsLeaveOutBodies()
{
    Rig rig;
    QVERIFY2(rig.listening, qPrintable(rig.error));
    RequestRecord record;
    record.id = 99;
    record.group = u"chat"_s;
    record.outcome = Outcome::Ok;
    record.body = "SECRET-ANSWER-BODY"_ba;
    record.message = QString(5000, u'x');

    Q_EMIT rig.engine.requestFinished(record);
    const Reply reply = get(rig.url(u"/api/requests"_s));

    QCOMPARE(reply.status, 200);
    QVERIFY(!reply.body.contains("SECRET-ANSWER-BODY"));
    const QJsonObject first = reply.json()[u"requests"_s][0].toObject();
    QVERIFY(!first.contains(u"body"_s));
    QCOMPARE(first[u"id"_s].toInt(), 99);
    QVERIFY(first[u"message"_s].toString().size() < 1000);
}

void TestStatusServer::requestLimit_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<int>("status");
    QTest::addColumn<int>("limit");

    QTest::newRow("default") << QString() << 200 << 50;
    QTest::newRow("five") << u"?limit=5"_s << 200 << 5;
    QTest::newRow("zero") << u"?limit=0"_s << 200 << 0;
    QTest::newRow("max") << u"?limit=1000"_s << 200 << 1000;
    QTest::newRow("overMax") << u"?limit=5000"_s << 200 << 1000;
    QTest::newRow("huge") << u"?limit=99999999999999999999999"_s << 200 << 1000;
    QTest::newRow("otherItemIgnored") << u"?foo=bar&limit=3"_s << 200 << 3;
    QTest::newRow("letters") << u"?limit=abc"_s << 400 << 0;
    QTest::newRow("negative") << u"?limit=-1"_s << 400 << 0;
    QTest::newRow("encodedNegative") << u"?limit=%2D1"_s << 400 << 0;
    QTest::newRow("fraction") << u"?limit=1.5"_s << 400 << 0;
    QTest::newRow("empty") << u"?limit="_s << 400 << 0;
    QTest::newRow("noValue") << u"?limit"_s << 400 << 0;
    QTest::newRow("plusSign") << u"?limit=%2B5"_s << 400 << 0;
    QTest::newRow("repeated") << u"?limit=5&limit=6"_s << 400 << 0;
    QTest::newRow("space") << u"?limit=%205"_s << 400 << 0;
}

void TestStatusServer::requestLimit()
{
    QFETCH(QString, query);
    QFETCH(int, status);
    QFETCH(int, limit);
    Rig rig;
    QVERIFY2(rig.listening, qPrintable(rig.error));

    const Reply reply = get(rig.url(u"/api/requests"_s + query));

    QCOMPARE(reply.status, status);
    QCOMPARE(reply.contentType, "application/json"_ba);
    if (status == 200)
        QCOMPARE(reply.json()[u"limit"_s].toInt(), limit);
    else
        QVERIFY(reply.json()[u"error"_s].toString().contains(u"limit"_s));
}

void TestStatusServer::pageIsSelfContained()
{
    Rig rig;
    QVERIFY2(rig.listening, qPrintable(rig.error));

    const Reply reply = get(rig.url(u"/"_s));

    QCOMPARE(reply.status, 200);
    const QByteArray& html = reply.body;
    QVERIFY(html.startsWith("<!DOCTYPE html>"));
    QVERIFY(html.contains("/api/stats"));
    QVERIFY(html.contains("/api/requests"));
    QVERIFY(!html.contains("http://"));
    QVERIFY(!html.contains("https://"));
    QVERIFY(!html.contains("src="));
    QVERIFY(!html.contains("innerHTML"));
    QVERIFY(!html.contains("insertAdjacentHTML"));
    QVERIFY(!html.contains("document.write"));

    // The policy allows exactly the inline script and style the page carries.
    const QByteArray policy = reply.headers.value("content-security-policy");
    QVERIFY(policy.contains("default-src 'none'"));
    QVERIFY(policy.contains("connect-src 'self'"));
    for (const auto& [tag, directive] :
        {std::pair {"script"_ba, "script-src"_ba}, std::pair {"style"_ba, "style-src"_ba}}) {
        const qsizetype open = html.indexOf(QByteArray('<' + tag + '>'));
        const qsizetype close = html.indexOf(QByteArray("</" + tag + '>'));
        QVERIFY(open >= 0 && close > open);
        QCOMPARE(html.count(QByteArray('<' + tag + '>')), 1);
        const QByteArray content = html.mid(open + tag.size() + 2, close - open - tag.size() - 2);
        const QByteArray hash
            = QCryptographicHash::hash(content, QCryptographicHash::Sha256).toBase64();
        QVERIFY2(
            policy.contains(QByteArray(directive + " 'sha256-" + hash + '\'')), policy.constData());
    }
}

void TestStatusServer::metricsParseAndCount()
{
    Rig rig;
    QVERIFY2(rig.listening, qPrintable(rig.error));
    rig.engine.start();
    rig.runCycle();

    const Reply reply = get(rig.url(u"/metrics"_s));

    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.contentType, PrometheusMetrics::contentType());
    QVERIFY(reply.body.contains("\naimload_cycles_total 1\n"));
    QVERIFY(reply.body.contains("\naimload_requests_in_flight 0\n"));
    QVERIFY(reply.body.contains("aimload_requests_total{group=\"chat <b>\\\"quoted\\\"</b>\","
                                "model=\"b\",endpoint=\"chat\",outcome=\"http_error\"} 1\n"));
    QVERIFY(reply.body.contains("\naimload_next_cycle_seconds 718\n"));
}

void TestStatusServer::controlDisabledWithoutToken_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<bool>("presentToken");

    QTest::newRow("start") << u"/api/start"_s << false;
    QTest::newRow("stop") << u"/api/stop"_s << false;
    QTest::newRow("trigger") << u"/api/trigger"_s << false;
    QTest::newRow("startWithSomeToken") << u"/api/start"_s << true;
}

void TestStatusServer::controlDisabledWithoutToken()
{
    QFETCH(QString, path);
    QFETCH(bool, presentToken);
    Rig rig {QString()};
    QVERIFY2(rig.listening, qPrintable(rig.error));

    const Reply reply = post(rig.url(path), presentToken ? bearer(Token) : Headers {});

    QCOMPARE(reply.status, 403);
    QCOMPARE(reply.contentType, "application/json"_ba);
    QVERIFY(reply.json()[u"error"_s].toString().contains(u"token"_s));
    QCOMPARE(rig.engine.state(), LoadEngine::State::Idle);
    QCOMPARE(get(rig.url(u"/api/stats"_s)).json()[u"control_enabled"_s].toBool(), false);
}

void TestStatusServer::controlRefusesWrongToken_data()
{
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<QByteArray>("presented");

    const QByteArray token = Token.toUtf8();
    QTest::newRow("missing") << Headers {} << QByteArray();
    QTest::newRow("wrong") << Headers {{"Authorization", "Bearer wrong-guess-4711"}}
                           << "wrong-guess-4711"_ba;
    QTest::newRow("prefix") << Headers {{"Authorization", "Bearer " + token.first(10)}}
                            << token.first(10);
    QTest::newRow("longer") << Headers {{"Authorization", "Bearer " + token + "Z"}} << token + "Z";
    QTest::newRow("otherCase") << Headers {{"Authorization", "Bearer " + token.toUpper()}}
                               << token.toUpper();
    QTest::newRow("basicScheme") << Headers {{"Authorization",
        "Basic " + QByteArray("admin:" + token).toBase64()}}
                                 << QByteArray("admin:" + token).toBase64();
    QTest::newRow("noScheme") << Headers {{"Authorization", token}} << token;
    QTest::newRow("emptyBearer") << Headers {{"Authorization", "Bearer "}} << QByteArray();
    QTest::newRow("tokenInOtherHeader") << Headers {{"X-Token", token}} << token;
}

void TestStatusServer::controlRefusesWrongToken()
{
    QFETCH(Headers, headers);
    QFETCH(QByteArray, presented);
    Rig rig;
    QVERIFY2(rig.listening, qPrintable(rig.error));

    Reply reply;
    QString log;
    {
        MessageCapture capture;
        reply = post(rig.url(u"/api/start"_s), headers);
        log = capture.all();
    }

    QCOMPARE(reply.status, 401);
    QVERIFY(reply.headers.value("www-authenticate").startsWith("Bearer"));
    QCOMPARE(reply.contentType, "application/json"_ba);
    QCOMPARE(rig.engine.state(), LoadEngine::State::Idle);
    QVERIFY2(log.contains(u"aimload.web"_s) && log.contains(u"refused start"_s), qPrintable(log));
    if (!presented.isEmpty())
        QVERIFY2(!log.contains(QString::fromUtf8(presented)), qPrintable(log));
    QVERIFY2(!log.contains(Token), qPrintable(log));
}

void TestStatusServer::controlWithToken()
{
    Rig rig;
    QVERIFY2(rig.listening, qPrintable(rig.error));

    const Reply started = post(rig.url(u"/api/start"_s), bearer(Token));
    QCOMPARE(started.status, 200);
    QCOMPARE(started.json()[u"state"_s].toString(), u"running"_s);
    QCOMPARE(rig.engine.state(), LoadEngine::State::Running);
    QCOMPARE(rig.sender.sent().size(), 1);

    // Cycle 1 still waits for Model A, and a user's cycles never overlap.
    const Reply busy = post(rig.url(u"/api/trigger"_s), bearer(Token));
    QCOMPARE(busy.status, 409);
    QVERIFY2(
        busy.json()[u"error"_s].toString().contains(u"still running"_s), busy.body.constData());
    QCOMPARE(rig.engine.cyclesStarted(), 1u);

    rig.runCycle();
    const Reply triggered
        = post(rig.url(u"/api/trigger"_s), {{"authorization", "bearer " + Token.toUtf8()}});
    QCOMPARE(triggered.status, 200);
    QCOMPARE(triggered.json()[u"cycle"_s].toInt(), 2);
    QCOMPARE(rig.engine.cyclesStarted(), 2u);

    const Reply stopped = post(rig.url(u"/api/stop"_s), bearer(Token));
    QCOMPARE(stopped.status, 200);
    QCOMPARE(stopped.json()[u"state"_s].toString(), u"stopped"_s);
    QCOMPARE(rig.engine.state(), LoadEngine::State::Stopped);

    const Reply notRunning = post(rig.url(u"/api/trigger"_s), bearer(Token));
    QCOMPARE(notRunning.status, 409);
    QCOMPARE(get(rig.url(u"/healthz"_s)).status, 200);
}

void TestStatusServer::malformedRequests_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("status");

    QRandomGenerator random(4711);
    QByteArray noise(4096, Qt::Uninitialized);
    for (char& c : noise)
        c = char(random.bounded(256));

    QTest::newRow("garbage") << "\x01\x02\x03garbage\xff\r\n\r\n"_ba << 400;
    QTest::newRow("randomBytes") << noise << 400;
    QTest::newRow("lowercaseMethod") << "get / HTTP/1.1\r\nHost: x\r\n\r\n"_ba << 400;
    QTest::newRow("unknownMethod") << "BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n"_ba << 501;
    QTest::newRow("http2") << "GET / HTTP/2.0\r\nHost: x\r\n\r\n"_ba << 505;
    QTest::newRow("noVersion") << "GET /\r\nHost: x\r\n\r\n"_ba << 400;
    QTest::newRow("absoluteTarget") << "GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n"_ba << 400;
    QTest::newRow("bareLineFeeds") << "GET / HTTP/1.1\nHost: x\n\n"_ba << 400;
    QTest::newRow("hugeHeader") << "GET / HTTP/1.1\r\nHost: x\r\nX-Huge: "
            + QByteArray(200'000, 'a')
            + "\r\n\r\n" << 431;
    QTest::newRow("manyHeaders") << "GET / HTTP/1.1\r\n" + QByteArray("X-A: b\r\n").repeated(150)
            + "\r\n" << 431;
    QTest::newRow("longTarget") << "GET /" + QByteArray(5000, 'a') + " HTTP/1.1\r\n\r\n" << 414;
    QTest::newRow("badHeaderName") << "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n"_ba << 400;
    QTest::newRow("controlInHeader") << "GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n"_ba << 400;
    QTest::newRow("foldedHeader") << "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n"_ba << 400;
    QTest::newRow("badContentLength")
        << "POST /api/start HTTP/1.1\r\nContent-Length: abc\r\n\r\n"_ba << 400;
    QTest::newRow("conflictingLengths")
        << "POST /api/start HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"_ba << 400;
    QTest::newRow("hugeBody") << "POST /api/start HTTP/1.1\r\nContent-Length: 10000000\r\n\r\n"_ba
                              << 413;
    QTest::newRow("chunked")
        << "POST /api/start HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"_ba << 411;
    QTest::newRow("upgrade")
        << "GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"_ba << 400;
    QTest::newRow("pipelined")
        << "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"_ba
        << 400;
    QTest::newRow("badLimit") << "GET /api/requests?limit=abc HTTP/1.1\r\nHost: x\r\n\r\n"_ba
                              << 400;
    QTest::newRow("negativeLimit")
        << "GET /api/requests?limit=-7 HTTP/1.1\r\nHost: x\r\n\r\n"_ba << 400;
    QTest::newRow("wellFormed") << "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"_ba << 200;
    QTest::newRow("http10") << "GET /healthz HTTP/1.0\r\n\r\n"_ba << 200;
}

void TestStatusServer::malformedRequests()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, status);
    Rig rig;
    QVERIFY2(rig.listening, qPrintable(rig.error));
    rig.engine.start();

    const QByteArray answer = exchangeRaw(rig.server.port(), bytes);

    QVERIFY2(!answer.isEmpty(), "no answer at all");
    QCOMPARE(statusOf(answer), status);
    QVERIFY(answer.contains("\r\nContent-Type: application/json\r\n"));
    const QJsonDocument body = QJsonDocument::fromJson(answer.mid(answer.indexOf("\r\n\r\n") + 4));
    QCOMPARE(body[u"status"_s].toInt(status), status);
    QCOMPARE(rig.engine.state(), LoadEngine::State::Running);
    QCOMPARE(get(rig.url(u"/healthz"_s)).status, 200);
}

void TestStatusServer::requestInPieces()
{
    Rig rig;
    QVERIFY2(rig.listening, qPrintable(rig.error));
    const QByteArray request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"_ba;
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, rig.server.port());
    QVERIFY(socket.waitForConnected(2000));

    for (const char c : request) {
        socket.write(&c, 1);
        QVERIFY(socket.waitForBytesWritten(1000));
        QTest::qWait(2);
    }

    QTRY_VERIFY(socket.bytesAvailable() > 0 && socket.peek(512).contains("\r\n\r\n{"));
    QCOMPARE(statusOf(socket.readAll()), 200);
}

void TestStatusServer::slowRequestTimesOut()
{
    GuardedTcpServer::Limits limits;
    limits.requestTimeout = std::chrono::milliseconds(200);
    Rig rig {Token, limits};
    QVERIFY2(rig.listening, qPrintable(rig.error));

    const QByteArray answer = exchangeRaw(rig.server.port(), "GET /healthz HTT"_ba);

    QCOMPARE(statusOf(answer), 408);
    QCOMPARE(get(rig.url(u"/healthz"_s)).status, 200);
}

void TestStatusServer::shutsDownWithOpenConnections()
{
    QTcpSocket waiting;
    {
        Rig rig;
        QVERIFY2(rig.listening, qPrintable(rig.error));
        waiting.connectToHost(QHostAddress::LocalHost, rig.server.port());
        QVERIFY(waiting.waitForConnected(2000));
        waiting.write("GET /api/st"_ba);
        QTRY_COMPARE(rig.server.findChild<GuardedTcpServer*>()->openConnections(), 1);
    }

    QTRY_COMPARE(waiting.state(), QAbstractSocket::UnconnectedState);
}

void TestStatusServer::connectionLimit()
{
    GuardedTcpServer::Limits limits;
    limits.maxConnections = 2;
    Rig rig {Token, limits};
    QVERIFY2(rig.listening, qPrintable(rig.error));
    QTcpSocket idle[2];
    for (QTcpSocket& socket : idle) {
        socket.connectToHost(QHostAddress::LocalHost, rig.server.port());
        QVERIFY(socket.waitForConnected(2000));
    }

    const QByteArray refused = exchangeRaw(rig.server.port(), "GET /healthz HTTP/1.1\r\n\r\n"_ba);
    QCOMPARE(statusOf(refused), 503);

    for (QTcpSocket& socket : idle)
        socket.abort();
    QTRY_COMPARE(get(rig.url(u"/healthz"_s)).status, 200);
}

void TestStatusServer::listenFailureNamesAddress()
{
    Rig first;
    QVERIFY2(first.listening, qPrintable(first.error));
    StatusServer second(nullptr, nullptr, nullptr, QString());

    QString error;
    QVERIFY(!second.listen(QHostAddress::LocalHost, first.server.port(), &error));

    QVERIFY2(error.contains(u"127.0.0.1"_s), qPrintable(error));
    QVERIFY2(error.contains(QString::number(first.server.port())), qPrintable(error));
    QVERIFY(!second.isListening());
    QCOMPARE(second.port(), quint16(0));
}

QTEST_GUILESS_MAIN(TestStatusServer)
#include "tst_statusserver.moc"
