// The requests aimload sends, checked by a FastAPI implementation of the agent's routes:
// pydantic validates them exactly as the real agent would.

#include "agent/agentclient.h"
#include "prompts/promptpool.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace aimload;

namespace {

QByteArray rawBody(const QJsonObject& entry)
{
    return QByteArray::fromBase64(entry.value(u"body_base64").toString().toLatin1());
}

} // namespace

class ContractTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void everyPromptOfTheDefaultPool();
    void hostileMessages_data();
    void hostileMessages();
    void binaryRunsPairedCycles();

private:
    QJsonArray contractLog();
    QByteArray httpCall(const QByteArray& method, const QString& path);
    RequestRecord sendAndWait(AgentClient& client, RequestRecord record);

    QTemporaryDir m_dir;
    QProcess m_agent;
    QUrl m_url;
    QNetworkAccessManager m_manager;
};

void ContractTest::initTestCase()
{
    if (!QFile::exists(QStringLiteral(CONTRACT_PYTHON)))
        QSKIP("Debian's /usr/bin/python3 with python3-fastapi is not installed");

    const QString portFile = m_dir.filePath(u"port"_s);
    m_agent.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_agent.start(QStringLiteral(CONTRACT_PYTHON),
        {QStringLiteral(CONTRACT_AGENT), u"--port-file"_s, portFile});
    QVERIFY2(m_agent.waitForStarted(5000), qPrintable(m_agent.errorString()));
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(portFile), 20000);

    QFile file(portFile);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const int port = file.readAll().trimmed().toInt();
    QVERIFY(port > 0);
    m_url = QUrl(u"http://127.0.0.1:%1"_s.arg(port));
}

void ContractTest::cleanupTestCase()
{
    if (m_agent.state() == QProcess::NotRunning)
        return;
    m_agent.terminate();
    if (!m_agent.waitForFinished(5000))
        m_agent.kill();
}

void ContractTest::init()
{
    httpCall("POST", u"/_contract/reset"_s);
}

QByteArray ContractTest::httpCall(const QByteArray& method, const QString& path)
{
    QUrl url = m_url;
    url.setPath(path);
    QNetworkReply* reply = m_manager.sendCustomRequest(QNetworkRequest(url), method);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!finished.wait(10000))
        return {};
    const QByteArray body = reply->readAll();
    reply->deleteLater();
    return body;
}

QJsonArray ContractTest::contractLog()
{
    return QJsonDocument::fromJson(httpCall("GET", u"/_contract/log"_s)).array();
}

RequestRecord ContractTest::sendAndWait(AgentClient& client, RequestRecord record)
{
    QSignalSpy finished(&client, &RequestSender::requestFinished);
    client.send(record);
    if (!finished.wait(10000))
        return {};
    return finished.takeFirst().at(0).value<RequestRecord>();
}

void ContractTest::everyPromptOfTheDefaultPool()
{
    QString error;
    const auto pool = PromptPool::load(PromptPool::defaultPoolPath(), &error);
    QVERIFY2(pool, qPrintable(error));

    AgentClient client({m_url});
    quint64 id = 0;
    int sent = 0;
    for (const PromptGroup& group : pool->groups()) {
        for (const Prompt& prompt : group.prompts) {
            for (const Model model : {Model::A, Model::B}) {
                RequestRecord record;
                record.id = ++id;
                record.promptId = prompt.id;
                record.group = group.name;
                record.message = prompt.text;
                record.model = model;
                record.endpoint = prompt.endpoint;
                record.workflow = prompt.workflow;
                const RequestRecord result = sendAndWait(client, record);
                QVERIFY2(result.outcome == Outcome::Ok,
                    qPrintable(
                        prompt.id + u": "_s + outcomeName(result.outcome) + u' ' + result.error));
                QCOMPARE(result.httpStatus, 200);
                if (prompt.endpoint == Endpoint::Repair)
                    QCOMPARE(result.toolCallCount, prompt.expectedToolCalls);
                ++sent;
            }
        }
    }

    const QJsonArray log = contractLog();
    QCOMPARE(log.size(), sent);
    for (const QJsonValue& entry : log) {
        const QJsonObject request = entry.toObject();
        QCOMPARE(request.value(u"status").toInt(), 200);
        QCOMPARE(request.value(u"http_version").toString(), u"1.1"_s);
        QVERIFY(!request.value(u"headers").toObject().contains(u"upgrade"_s));
    }
}

void ContractTest::hostileMessages_data()
{
    QTest::addColumn<QString>("message");
    QTest::newRow("empty") << QString();
    QTest::newRow("quotes") << u"She said \"stop\" and 'go' \\ back"_s;
    QTest::newRow("newlines-tabs") << u"line one\nline two\r\n\tindented"_s;
    QTest::newRow("emoji") << u"restart it 🚀🔥 now, ünïcödé"_s;
    QTest::newRow("control") << QString(QChar(0x01)) + u"bell"_s + QChar(0x07);
    QTest::newRow("10kb") << QString(10 * 1024, u'x');
}

void ContractTest::hostileMessages()
{
    QFETCH(QString, message);
    AgentClient client({m_url});
    RequestRecord record;
    record.id = 1;
    record.message = message;
    record.model = Model::B;
    const RequestRecord result = sendAndWait(client, record);
    QVERIFY2(result.outcome == Outcome::Ok, qPrintable(result.error));

    const QJsonArray log = contractLog();
    QCOMPARE(log.size(), 1);
    const QJsonObject request = log.first().toObject();
    const QByteArray body = rawBody(request);
    const QJsonObject sent = QJsonDocument::fromJson(body).object();
    QCOMPARE(sent.value(u"message").toString(), message);
    QCOMPARE(sent.value(u"model").toString(), u"b"_s);
    QCOMPARE(request.value(u"headers").toObject().value(u"content-type").toString(),
        u"application/json"_s);
    QCOMPARE(request.value(u"headers").toObject().value(u"content-length").toString(),
        QString::number(body.size()));
}

void ContractTest::binaryRunsPairedCycles()
{
    QProcess aimload;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"AI_AGENT_URL"_s);
    aimload.setProcessEnvironment(environment);
    aimload.start(QStringLiteral(AIMLOAD_BINARY),
        {u"--headless"_s, u"--host"_s, m_url.toString(), u"--cycles"_s, u"6"_s, u"--pacing"_s,
            u"0.2"_s, u"--seed"_s, u"7"_s, u"--no-db"_s});
    QVERIFY(aimload.waitForFinished(30000));
    const QByteArray output = aimload.readAllStandardOutput();
    QVERIFY2(aimload.exitCode() == 0, output.constData());
    QVERIFY2(output.contains("Summary"), output.constData());

    const QJsonArray log = contractLog();
    QList<QJsonObject> posts;
    for (const QJsonValue& entry : log) {
        if (entry.toObject().value(u"method").toString() == u"POST")
            posts.append(entry.toObject());
    }
    QCOMPARE(posts.size(), 12);
    for (qsizetype i = 0; i < posts.size(); i += 2) {
        const QJsonObject a = posts.at(i);
        const QJsonObject b = posts.at(i + 1);
        QCOMPARE(a.value(u"status").toInt(), 200);
        QCOMPARE(b.value(u"status").toInt(), 200);
        QCOMPARE(a.value(u"path").toString(), b.value(u"path").toString());
        if (a.value(u"path").toString() == u"/chat") {
            const auto bodyA = QJsonDocument::fromJson(rawBody(a));
            const auto bodyB = QJsonDocument::fromJson(rawBody(b));
            QCOMPARE(bodyA.object().value(u"model").toString(), u"a"_s);
            QCOMPARE(bodyB.object().value(u"model").toString(), u"b"_s);
            QCOMPARE(bodyA.object().value(u"message"), bodyB.object().value(u"message"));
        } else {
            QVERIFY(a.value(u"query").toString().startsWith(u"model=a&workflow="_s));
            QVERIFY(b.value(u"query").toString().startsWith(u"model=b&workflow="_s));
            QCOMPARE(a.value(u"headers").toObject().value(u"content-length").toString(), u"0"_s);
        }
    }
}

QTEST_GUILESS_MAIN(ContractTest)
#include "tst_contract.moc"
