// The engine, the real client and the real clock against an agent that misbehaves in
// every way we know of, and the real binary against one that misbehaves several ways in
// a row. Whatever the agent does, each request ends exactly once with the right outcome,
// cycles stay on their grid and nothing is left in flight.

#include "../integration/processmemory.h"
#include "agent/agentclient.h"
#include "engine/clock.h"
#include "engine/loadengine.h"
#include "engineledger.h"
#include "faultserver.h"
#include "sim/simulatedagent.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <chrono>
#include <csignal>
#include <optional>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using aimload::AbOrder;
using aimload::AgentClient;
using aimload::ClientSettings;
using aimload::EngineSettings;
using aimload::LoadEngine;
using aimload::Outcome;
using aimload::PromptPool;
using aimload::RequestRecord;
using aimload::SimulatedAgent;
using aimload::SystemClock;
using aimload::test::EngineLedger;
using aimload::test::FaultServer;
using Fault = aimload::SimulatedAgent::Fault;
using Action = aimload::test::FaultServer::Action;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool AddressSanitizer = true;
#elif defined(__has_feature)
constexpr bool AddressSanitizer = __has_feature(address_sanitizer);
#else
constexpr bool AddressSanitizer = false;
#endif

// How late a cycle may start after its grid point. Timers are precise to the millisecond;
// the rest is room for a machine busy with other builds.
constexpr qint64 GridToleranceNs = 40'000'000;
constexpr int RunWaitMs = 20000;

const QByteArray ChatPool = R"({"version": 1, "groups": [{"name": "chat", "weight": 1,
    "prompts": [{"id": "status", "description": "Status question",
    "text": "How are the services?", "endpoint": "/chat", "expected_tool_calls": 0,
    "expect_success": true}]}]})";
const QByteArray RepairPool = R"({"version": 1, "groups": [{"name": "mcp", "weight": 1,
    "prompts": [{"id": "health", "description": "Health check", "text": "Check health",
    "endpoint": "/repair", "workflow": "minimal_single_tool", "expected_tool_calls": 1,
    "expect_success": true}]}]})";

const QByteArray ChatAnswer = R"({"response":"All fine.","model_used":"mistral:7b-instruct-v0.3",)"
                              R"("latency_seconds":0.25,"timestamp":"2025-03-01T10:15:30.123456"})";

PromptPool pool(const QByteArray& json)
{
    QString error;
    std::optional<PromptPool> pool = PromptPool::fromJson(json, u"test pool"_s, &error);
    if (!pool)
        qFatal("%s", qPrintable(error));
    return *pool;
}

EngineSettings engineSettings(std::chrono::milliseconds pacing, int cycles, AbOrder abOrder)
{
    EngineSettings settings;
    settings.pacing = pacing;
    settings.abOrder = abOrder;
    settings.cycles = cycles;
    settings.waitHealthy = false;
    settings.seed = 7;
    settings.healthRetryFirst = 50ms;
    settings.healthRetryMax = 200ms;
    return settings;
}

ClientSettings clientSettings(const QUrl& url, std::chrono::milliseconds timeout)
{
    ClientSettings settings;
    settings.baseUrl = url;
    settings.chatTimeout = settings.repairTimeout = timeout;
    settings.healthTimeout = 1s;
    return settings;
}

QString outcomeOf(const RequestRecord& record)
{
    return aimload::outcomeName(record.outcome);
}

// One engine run: the engine, the real client and the real clock, watched by a ledger.
class Run
{
public:
    Run(const QUrl& url, const QByteArray& poolJson, std::chrono::milliseconds pacing, int cycles,
        std::chrono::milliseconds timeout, qint64 maxResponseBytes = 8 * 1024 * 1024,
        AbOrder abOrder = AbOrder::Sequential)
        : client([&] {
            ClientSettings settings = clientSettings(url, timeout);
            settings.maxResponseBytes = maxResponseBytes;
            return settings;
        }())
        , engine(engineSettings(pacing, cycles, abOrder), pool(poolJson), &client, &clock)
        , ledger(&engine, &clock)
        , finished(&engine, &LoadEngine::finished)
    { }

    // Starts the engine and waits for it to end by its cycle limit.
    bool runToEnd()
    {
        engine.start();
        return finished.wait(RunWaitMs)
            && finished.first().first().toString() == u"cycle limit reached"_s;
    }

    SystemClock clock;
    AgentClient client;
    LoadEngine engine;
    EngineLedger ledger;
    QSignalSpy finished;
};

QString describe(const QStringList& problems)
{
    return problems.join(u"\n"_s);
}

QStringList outcomes(const QList<RequestRecord>& records)
{
    QStringList names;
    for (const RequestRecord& record : records)
        names.append(outcomeOf(record));
    return names;
}

bool startAgent(SimulatedAgent& agent, double speed = 10000.0)
{
    agent.setSpeed(speed);
    agent.setFailureRate(0.0);
    agent.setAgentFailureRate(0.0);
    return agent.listen();
}

} // namespace

class FaultTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void simulatedFault_data();
    void simulatedFault();
    void rawFault_data();
    void rawFault();
    void keepAliveClosedAsRequestArrives();
    void agentGoesDownAndComesBack();
    void faultChangesEveryCycle_data();
    void faultChangesEveryCycle();
    void binarySurvivesMisbehavingAgent();
};

void FaultTest::simulatedFault_data()
{
    QTest::addColumn<Fault>("fault");
    QTest::addColumn<QByteArray>("poolJson");
    QTest::addColumn<double>("speed");
    QTest::addColumn<int>("timeoutMs");
    QTest::addColumn<QString>("outcome");
    QTest::addColumn<QString>("phrase");
    // Whether the agent must see exactly one request per record: false where the client
    // library may send a request again after the connection broke before any answer.
    QTest::addColumn<bool>("exactlyOnce");

    const auto row = [](const char* tag, Fault fault, const QByteArray& json, Outcome outcome,
                         const QString& phrase, bool exactlyOnce = true, double speed = 10000.0,
                         int timeoutMs = 1000) {
        QTest::newRow(tag) << fault << json << speed << timeoutMs << aimload::outcomeName(outcome)
                           << phrase << exactlyOnce;
    };
    row("refused", Fault::Refuse, ChatPool, Outcome::ConnectionError, u"refused"_s);
    // Each half of a cycle waits out its 120 ms deadline, so a cycle outlasts the 200 ms
    // pacing and every other slot is skipped.
    row("hang", Fault::Hang, ChatPool, Outcome::Timeout, u"within 0.12 s"_s, true, 1e4, 120);
    // Answers take 200 ms or more at this speed: always after the 120 ms deadline.
    row("answerAfterDeadline", Fault::None, ChatPool, Outcome::Timeout, u"within 0.12 s"_s, true,
        20.0, 120);
    row("resetBeforeAnswer", Fault::ResetBeforeAnswer, ChatPool, Outcome::ConnectionError,
        u"closed"_s, false);
    row("resetBeforeRepairAnswer", Fault::ResetBeforeAnswer, RepairPool, Outcome::ConnectionError,
        u"closed"_s, false);
    row("resetMidBody", Fault::ResetMidBody, ChatPool, Outcome::ConnectionError,
        u"closed mid-answer"_s);
    row("http500", Fault::Http500, ChatPool, Outcome::HttpError, u"HTTP 500"_s);
    row("http502", Fault::Http502, RepairPool, Outcome::HttpError, u"HTTP 502"_s);
    row("http422", Fault::Http422, ChatPool, Outcome::HttpError, u"field required"_s);
    row("notJson", Fault::NotJson, ChatPool, Outcome::InvalidResponse, u"not JSON"_s);
    row("truncatedJson", Fault::TruncatedJson, RepairPool, Outcome::InvalidResponse, u"not JSON"_s);
    row("wrongShape", Fault::WrongShape, ChatPool, Outcome::InvalidResponse,
        u"lacks the response field"_s);
    row("emptyBody", Fault::EmptyBody, ChatPool, Outcome::InvalidResponse, u"empty answer"_s);
    row("redirect307", Fault::Redirect307, ChatPool, Outcome::HttpError, u"not followed"_s);
    row("repairFailure", Fault::RepairFailure, RepairPool, Outcome::AgentFailure,
        u"success: false"_s);
}

void FaultTest::simulatedFault()
{
    QFETCH(Fault, fault);
    QFETCH(QByteArray, poolJson);
    QFETCH(double, speed);
    QFETCH(int, timeoutMs);
    QFETCH(QString, outcome);
    QFETCH(QString, phrase);
    QFETCH(bool, exactlyOnce);
    constexpr int Cycles = 3;
    SimulatedAgent agent;
    QVERIFY(startAgent(agent, speed));
    agent.setFault(fault);
    Run run(agent.url(), poolJson, 200ms, Cycles, std::chrono::milliseconds(timeoutMs));

    QVERIFY(run.runToEnd());

    const QStringList problems = run.ledger.problems(GridToleranceNs);
    QVERIFY2(problems.isEmpty(), qPrintable(describe(problems)));
    QCOMPARE(run.ledger.cycles().size(), Cycles);
    QCOMPARE(run.ledger.finished().size(), 2 * Cycles);
    QCOMPARE(run.client.inFlight(), 0);
    for (const RequestRecord& record : run.ledger.finished()) {
        QVERIFY2(outcomeOf(record) == outcome,
            qPrintable(u"%1 (%2), body of %3 bytes"_s.arg(outcomeOf(record), record.error)
                           .arg(record.body.size())));
        QVERIFY2(record.error.contains(phrase), qPrintable(record.error));
    }
    if (fault == Fault::Refuse)
        QCOMPARE(agent.requestCount(), 0);
    else if (exactlyOnce)
        QCOMPARE(agent.requestCount(), 2 * Cycles);
    else
        QVERIFY(agent.requestCount() >= 2 * Cycles);
    if (fault != Fault::Refuse && agent.requestCount() != 2 * Cycles)
        qInfo("%d requests reached the agent for %d records", agent.requestCount(), 2 * Cycles);
    // A cycle that outlasts the pacing has its next slot skipped, and only then.
    const bool overruns = 2 * timeoutMs > 200 && outcome == u"timeout"_s;
    QCOMPARE(run.ledger.skips().isEmpty(), !overruns);
}

void FaultTest::rawFault_data()
{
    QTest::addColumn<int>("action");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("timeoutMs");
    QTest::addColumn<int>("cycles");
    QTest::addColumn<QString>("outcome");
    QTest::addColumn<QString>("phrase");

    const auto row = [](const char* tag, Action action, const QByteArray& bytes, Outcome outcome,
                         const QString& phrase, int timeoutMs = 1000, int cycles = 2) {
        QTest::newRow(tag) << int(action) << bytes << timeoutMs << cycles
                           << aimload::outcomeName(outcome) << phrase;
    };
    row("tooManyRequests", Action::Answer,
        FaultServer::response(
            429, "Too Many Requests", R"({"detail":"slow down"})", "Retry-After: 1\r\n"),
        Outcome::HttpError, u"HTTP 429 Too Many Requests: slow down"_s);
    row("gatewayTimeout504", Action::Answer,
        FaultServer::response(504, "Gateway Timeout", R"({"detail":"upstream timed out"})"),
        Outcome::HttpError, u"HTTP 504 Gateway Timeout: upstream timed out"_s);
    // The status line and half a header, then a TCP reset.
    row("resetMidHeaders", Action::ResetAfterBytes, "HTTP/1.1 200 OK\r\nContent-Type: applic"_ba,
        Outcome::ConnectionError,
        u"closed by the agent before its answer's headers were complete"_s);
    // The headers promise more than the server sends before it closes the connection.
    // With "Connection: close" Qt reports such an answer as complete.
    row("closedMidBody", Action::CloseAfterBytes,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "
        "200\r\n\r\n"
            + ChatAnswer.left(40),
        Outcome::ConnectionError, u"closed mid-answer (HTTP 200, 40 of 200 bytes"_s);
    row("found302", Action::Answer,
        FaultServer::response(302, "Found", {}, "Location: http://127.0.0.1:1/elsewhere\r\n"),
        Outcome::HttpError, u"redirect to http://127.0.0.1:1/elsewhere (not followed)"_s);
    // Location is filled in with the server's own /chat once it listens.
    row("redirectLoop", Action::Answer, {}, Outcome::HttpError, u"(not followed)"_s);
    // 64 MiB against the client's 1 MiB cap: cut off long before the end.
    row("hugeBody", Action::Stream, {}, Outcome::InvalidResponse, u"larger than"_s);
    // One byte a second keeps the connection busy, but the deadline is for the whole answer.
    row("slowDrip", Action::Drip, FaultServer::response(200, "OK", ChatAnswer), Outcome::Timeout,
        u"within 1.5 s"_s, 1500, 1);
    row("closeBeforeAnswer", Action::Close, {}, Outcome::ConnectionError, u"closed"_s);
}

void FaultTest::rawFault()
{
    QFETCH(int, action);
    QFETCH(QByteArray, bytes);
    QFETCH(int, timeoutMs);
    QFETCH(int, cycles);
    QFETCH(QString, outcome);
    QFETCH(QString, phrase);
    constexpr qint64 Cap = 1 << 20;
    constexpr qint64 HugeBody = qint64(64) << 20;
    constexpr qint64 MemorySlack = qint64(32) << 20;
    FaultServer server;
    QVERIFY(server.listen());
    if (bytes.isEmpty() && Action(action) == Action::Answer) {
        const QByteArray self = server.url().toEncoded() + "/chat";
        bytes = FaultServer::response(307, "Temporary Redirect", {}, "Location: " + self + "\r\n");
    }
    server.setScript({FaultServer::step(Action(action), bytes)});
    server.setStreamBytes(HugeBody);
    Run run(server.url(), ChatPool, 300ms, cycles, std::chrono::milliseconds(timeoutMs), Cap);
    const bool peakKnown = aimload::test::resetPeakMemory();
    const std::optional<qint64> rssBefore = aimload::test::statusKilobytes("VmRSS");

    QVERIFY(run.runToEnd());
    const std::optional<qint64> peakAfter = aimload::test::statusKilobytes("VmHWM");

    const QStringList problems = run.ledger.problems(GridToleranceNs);
    QVERIFY2(problems.isEmpty(), qPrintable(describe(problems)));
    QCOMPARE(run.ledger.finished().size(), 2 * cycles);
    QCOMPARE(run.client.inFlight(), 0);
    for (const RequestRecord& record : run.ledger.finished()) {
        QVERIFY2(outcomeOf(record) == outcome,
            qPrintable(u"%1 (%2), body of %3 bytes"_s.arg(outcomeOf(record), record.error)
                           .arg(record.body.size())));
        QVERIFY2(record.error.contains(phrase), qPrintable(record.error));
        QVERIFY(record.body.size() <= Cap);
    }
    switch (Action(action)) {
    case Action::Answer:
        // Neither a 429 nor a redirect is sent again, nor followed.
        QCOMPARE(server.requestCount(), 2 * cycles);
        break;
    case Action::Stream:
        QCOMPARE(server.requestCount(), 2 * cycles);
        QVERIFY2(server.streamedBytes() < 2 * cycles * HugeBody / 4,
            qPrintable(u"the server wrote %1 bytes"_s.arg(server.streamedBytes())));
        // AddressSanitizer keeps freed blocks in quarantine: the peak then measures every
        // buffer the run went through, not what it held at once.
        if (peakKnown && rssBefore && peakAfter && !AddressSanitizer) {
            // Far below the 256 MiB the server offered over the run.
            const qint64 growth = (*peakAfter - *rssBefore) * 1024;
            QVERIFY2(
                growth < MemorySlack, qPrintable(u"peak memory grew by %1 bytes"_s.arg(growth)));
            qInfo("peak memory grew by %lld KiB", growth / 1024);
        }
        break;
    case Action::Drip:
        QCOMPARE(server.requestCount(), 2 * cycles);
        QVERIFY(server.drippedBytes() >= 2);
        break;
    default:
        QCOMPARE(server.distinctRequestCount(), 2 * cycles);
        qInfo("%d requests reached the server for %d records; the first: %s", server.requestCount(),
            2 * cycles, qPrintable(run.ledger.finished().constFirst().error));
        break;
    }
}

void FaultTest::keepAliveClosedAsRequestArrives()
{
    constexpr int Cycles = 4;
    FaultServer server;
    QVERIFY(server.listen());
    server.setScript(
        {FaultServer::step(Action::CloseReused, FaultServer::response(200, "OK", ChatAnswer))});
    Run run(server.url(), ChatPool, 150ms, Cycles, 1s);

    QVERIFY(run.runToEnd());

    const QStringList problems = run.ledger.problems(GridToleranceNs);
    QVERIFY2(problems.isEmpty(), qPrintable(describe(problems)));
    QCOMPARE(run.ledger.finished().size(), 2 * Cycles);
    int ok = 0;
    for (const RequestRecord& record : run.ledger.finished()) {
        QVERIFY2(record.outcome == Outcome::Ok || record.outcome == Outcome::ConnectionError,
            qPrintable(outcomeOf(record) + u": "_s + record.error));
        ok += record.outcome == Outcome::Ok ? 1 : 0;
    }
    // Every answer the server gave is one ok record, and no ok record lacks an answer.
    QCOMPARE(ok, server.answeredCount());
    QVERIFY2(server.droppedReusedCount() > 0, "the client never reused a connection");
    QCOMPARE(server.distinctRequestCount(), 2 * Cycles);
    qInfo("%d ok, %d dropped on a reused connection, %d connections", ok,
        server.droppedReusedCount(), server.acceptedCount());
}

void FaultTest::agentGoesDownAndComesBack()
{
    constexpr int Cycles = 6;
    SimulatedAgent agent;
    QVERIFY(startAgent(agent));
    Run run(agent.url(), ChatPool, 200ms, Cycles, 1s);
    // The agent goes away just before cycle 3 sends and is back before cycle 5.
    QObject::connect(
        &run.engine, &LoadEngine::cycleStarted, &agent, [&agent](const aimload::CycleInfo& cycle) {
            if (cycle.cycle == 3)
                agent.setFault(Fault::Refuse);
            else if (cycle.cycle == 5)
                agent.setFault(Fault::None);
        });

    QVERIFY(run.runToEnd());

    const QStringList problems = run.ledger.problems(GridToleranceNs);
    QVERIFY2(problems.isEmpty(), qPrintable(describe(problems)));
    const QStringList expected {
        u"ok"_s, u"ok"_s, u"connection_error"_s, u"connection_error"_s, u"ok"_s, u"ok"_s};
    for (int cycle = 1; cycle <= Cycles; ++cycle) {
        const QStringList seen = outcomes(run.ledger.finishedInCycle(quint64(cycle)));
        QCOMPARE(seen, QStringList(2, expected.at(cycle - 1)));
    }
    QCOMPARE(agent.requestCount(), 8);
}

void FaultTest::faultChangesEveryCycle_data()
{
    QTest::addColumn<AbOrder>("abOrder");
    QTest::addColumn<int>("skips");

    // Sent one after the other, the hung cycle's two 100 ms deadlines outlast the 150 ms
    // pacing: the slot after it is skipped and the next fault comes one slot later.
    QTest::newRow("sequential") << AbOrder::Sequential << 1;
    QTest::newRow("parallel") << AbOrder::Parallel << 0;
}

void FaultTest::faultChangesEveryCycle()
{
    QFETCH(AbOrder, abOrder);
    QFETCH(int, skips);
    struct Step
    {
        Fault fault;
        const char* outcome;
    };
    const QList<Step> steps {
        {Fault::None, "ok"},
        {Fault::Http500, "http_error"},
        {Fault::ResetBeforeAnswer, "connection_error"},
        {Fault::NotJson, "invalid_response"},
        {Fault::Refuse, "connection_error"},
        {Fault::None, "ok"},
        {Fault::Hang, "timeout"},
        {Fault::TruncatedJson, "invalid_response"},
        {Fault::Http422, "http_error"},
        {Fault::EmptyBody, "invalid_response"},
        {Fault::ResetMidBody, "connection_error"},
        {Fault::WrongShape, "invalid_response"},
        {Fault::Redirect307, "http_error"},
        {Fault::Http502, "http_error"},
        {Fault::None, "ok"},
    };
    SimulatedAgent agent;
    QVERIFY(startAgent(agent));
    Run run(agent.url(), ChatPool, 150ms, int(steps.size()), 100ms, 8 * 1024 * 1024, abOrder);
    QObject::connect(&run.engine, &LoadEngine::cycleStarted, &agent,
        [&agent, &steps](const aimload::CycleInfo& cycle) {
            agent.setFault(steps.at(qsizetype(cycle.cycle) - 1).fault);
        });

    QVERIFY(run.runToEnd());

    const QStringList problems = run.ledger.problems(GridToleranceNs);
    QVERIFY2(problems.isEmpty(), qPrintable(describe(problems)));
    QCOMPARE(run.ledger.finished().size(), 2 * steps.size());
    for (qsizetype i = 0; i < steps.size(); ++i) {
        const QStringList seen = outcomes(run.ledger.finishedInCycle(quint64(i + 1)));
        QCOMPARE(seen, QStringList(2, QString::fromLatin1(steps.at(i).outcome)));
    }
    QCOMPARE(run.ledger.skippedSlotCount(), qint64(skips));
    for (const EngineLedger::Skip& skip : run.ledger.skips())
        QVERIFY2(skip.reason.contains(u"still running"_s), qPrintable(skip.reason));
    qInfo("worst lateness of a cycle start: %.1f ms", double(run.ledger.worstLatenessNs()) / 1e6);
}

void FaultTest::binarySurvivesMisbehavingAgent()
{
    constexpr int Requests = 16;
    // The reset and the three drops of a reused connection: the only requests Qt may resend.
    constexpr int UnansweredSteps = 4;
    const QByteArray ok = FaultServer::response(200, "OK", ChatAnswer);
    FaultServer server;
    QVERIFY(server.listen());
    server.setDripInterval(100ms);
    server.setScript({
        FaultServer::answer(ok),
        FaultServer::answer(FaultServer::response(
            500, "Internal Server Error", R"({"detail":"Chat failed: out of memory"})")),
        FaultServer::answer(
            FaultServer::response(429, "Too Many Requests", "{}", "Retry-After: 5\r\n")),
        FaultServer::answer(FaultServer::response(200, "OK", "<html>restarting</html>")),
        FaultServer::answer(FaultServer::response(302, "Found", {}, "Location: /login\r\n")),
        FaultServer::step(Action::Hang),
        FaultServer::answer(FaultServer::response(200, "OK", ChatAnswer.left(30))),
        FaultServer::step(Action::Drip, ok),
        FaultServer::step(Action::Reset),
        FaultServer::step(Action::CloseReused, ok),
        FaultServer::step(Action::CloseReused, ok),
        FaultServer::step(Action::CloseReused, ok),
        FaultServer::answer(ok),
    });
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString poolPath = dir.filePath(u"pool.json"_s);
    QFile poolFile(poolPath);
    QVERIFY(poolFile.open(QIODevice::WriteOnly));
    poolFile.write(ChatPool);
    poolFile.close();

    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"AI_AGENT_URL"_s);
    environment.remove(u"QT_QPA_PLATFORM"_s);
    process.setProcessEnvironment(environment);
    process.start(QStringLiteral(AIMLOAD_BINARY),
        {u"--headless"_s, u"--host"_s, server.url().toString(), u"--prompts"_s, poolPath,
            u"--pacing"_s, u"250ms"_s, u"--chat-timeout"_s, u"400ms"_s, u"--seed"_s, u"3"_s,
            u"--no-db"_s});
    QVERIFY2(process.waitForStarted(5000), qPrintable(process.errorString()));

    QByteArray output;
    const auto finishedLines = [&output] {
        return output.count("\xe2\x9c\x93 Model ") + output.count("\xe2\x9c\x97 Model ");
    };
    QTRY_VERIFY_WITH_TIMEOUT(
        (output += process.readAllStandardOutput(), finishedLines() >= Requests), 20000);
    ::kill(pid_t(process.processId()), SIGTERM);
    QVERIFY(process.waitForFinished(5000));
    output += process.readAllStandardOutput();
    const QString text = QString::fromUtf8(output);
    const QString errors = QString::fromUtf8(process.readAllStandardError());
    QVERIFY2(process.exitStatus() == QProcess::NormalExit, qPrintable(text + errors));
    QCOMPARE(process.exitCode(), 0);
    QVERIFY2(text.contains(u"Received SIGTERM"_s), qPrintable(text));

    static const QRegularExpression aggregated(
        u"^Aggregated\\s+A\\+B\\s+(\\d+)\\s+(\\d+) \\([\\d.]+%\\)\\s+(\\d+)"_s,
        QRegularExpression::MultilineOption);
    const QRegularExpressionMatch match = aggregated.match(text);
    QVERIFY2(match.hasMatch(), qPrintable(text));
    const int requests = match.captured(1).toInt();
    const int failures = match.captured(2).toInt();
    const int cancelled = match.captured(3).toInt();
    // Each request the agent saw is counted once: finished, or cancelled by the signal.
    // Qt sends a request again, with the same traceparent, when its connection closed
    // before the first byte of an answer; the agent sees it twice, the summary once.
    QCOMPARE(requests + cancelled, server.distinctRequestCount());
    QVERIFY(server.requestCount() - server.distinctRequestCount() <= UnansweredSteps);
    qInfo("%d requests in the summary, %d cancelled; the server saw %d, %d of them sent again",
        requests, cancelled, server.requestCount(),
        server.requestCount() - server.distinctRequestCount());
    QCOMPARE(int(output.count("\xe2\x9c\x93 Model ")), requests - failures);
    // Seven steps fail whatever Qt does; the reset may end ok when Qt sends it again.
    QVERIFY2(failures >= 7, qPrintable(text));
}

QTEST_GUILESS_MAIN(FaultTest)
#include "tst_faults.moc"
