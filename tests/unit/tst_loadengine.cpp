#include "engine/clock.h"
#include "engine/loadengine.h"
#include "fakesender.h"

#include <QSet>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <numeric>

using namespace Qt::StringLiterals;
using aimload::AbOrder;
using aimload::Clock;
using aimload::ClockTimer;
using aimload::CycleInfo;
using aimload::EngineSettings;
using aimload::LoadEngine;
using aimload::ManualClock;
using aimload::Model;
using aimload::Outcome;
using aimload::Prompt;
using aimload::PromptPool;
using aimload::RequestRecord;
using aimload::TriggerResult;
using aimload::test::FakeSender;

namespace {

constexpr qint64 NsPerMs = 1'000'000;
constexpr qint64 NsPerSecond = 1'000'000'000;
constexpr qint64 PacingNs = 720 * NsPerSecond;
// Every test starts the engine some way into the clock's life, so that a time measured
// from zero instead of from the start shows.
constexpr qint64 StartNs = 5 * NsPerSecond + 123;

const char SmallPoolJson[] = R"({
  "version": 1,
  "groups": [
    {"name": "healthy", "weight": 2, "prompts": [
      {"id": "health", "description": "Health check", "text": "Check the system health",
       "endpoint": "/repair", "workflow": "minimal_single_tool",
       "expected_tool_calls": 1, "expect_success": true}]},
    {"name": "chat", "weight": 5, "prompts": [
      {"id": "greeting", "description": "Greeting", "text": "Hello there",
       "endpoint": "/chat", "expected_tool_calls": 0, "expect_success": true},
      {"id": "status", "description": "Status question", "text": "How are the services?",
       "endpoint": "/chat", "expected_tool_calls": 1, "expect_success": true}]},
    {"name": "errors", "weight": 1, "prompts": [
      {"id": "empty", "description": "Empty message", "text": "",
       "endpoint": "/chat", "expected_tool_calls": 0, "expect_success": false}]}
  ]
})";

PromptPool smallPool()
{
    QString error;
    std::optional<PromptPool> pool
        = PromptPool::fromJson(QByteArray(SmallPoolJson), u"small.json"_s, &error);
    if (!pool)
        qFatal("the test's prompt pool does not load: %s", qPrintable(error));
    return *pool;
}

PromptPool defaultPool()
{
    QString error;
    std::optional<PromptPool> pool = PromptPool::load(PromptPool::defaultPoolPath(), &error);
    if (!pool)
        qFatal("the default prompt pool does not load: %s", qPrintable(error));
    return *pool;
}

EngineSettings engineSettings(AbOrder order = AbOrder::Sequential)
{
    EngineSettings settings;
    settings.pacing = std::chrono::milliseconds(PacingNs / NsPerMs);
    settings.abOrder = order;
    settings.seed = 20240611;
    return settings;
}

template<typename T> QList<T> valuesOf(const QSignalSpy& spy, int argument = 0)
{
    QList<T> values;
    for (const QList<QVariant>& arguments : spy)
        values.append(arguments.at(argument).value<T>());
    return values;
}

template<typename AnyClock> void advanceTo(AnyClock& clock, qint64 ns)
{
    clock.advanceNs(ns - clock.nowNs());
}

// Answers the open requests oldest first, the clock moving on by each latency before each
// answer. In sequential order the second answer goes to the B that the first released.
bool answerInTurn(FakeSender& sender, ManualClock& clock, std::initializer_list<qint64> latenciesNs)
{
    for (const qint64 latencyNs : latenciesNs) {
        clock.advanceNs(latencyNs);
        if (sender.open().isEmpty())
            return false;
        sender.finish(sender.open().constFirst().id, Outcome::Ok, double(latencyNs) / NsPerMs);
    }
    return true;
}

// Finishes user's open requests, and those they release, until none is left.
int finishOpenOf(FakeSender& sender, int user)
{
    int finished = 0;
    for (;;) {
        const QList<RequestRecord>& open = sender.open();
        const auto it = std::find_if(open.cbegin(), open.cend(),
            [user](const RequestRecord& record) { return record.user == user; });
        if (it == open.cend())
            return finished;
        sender.finish(it->id);
        ++finished;
    }
}

int countOutcome(const QSignalSpy& finishedRequests, Outcome outcome)
{
    const QList<RequestRecord> records = valuesOf<RequestRecord>(finishedRequests);
    return int(std::count_if(records.cbegin(), records.cend(),
        [outcome](const RequestRecord& record) { return record.outcome == outcome; }));
}

class JumpClock;

class JumpTimer : public ClockTimer
{
public:
    explicit JumpTimer(JumpClock* clock);
    ~JumpTimer() override;

    void startAt(qint64 deadlineNs) override
    {
        m_deadlineNs = deadlineNs;
        m_active = true;
    }
    void stop() override { m_active = false; }
    bool isActive() const override { return m_active; }
    qint64 deadlineNs() const override { return m_deadlineNs; }

    void fire()
    {
        m_active = false;
        Q_EMIT timeout();
    }

private:
    JumpClock* m_clock;
    qint64 m_deadlineNs = 0;
    bool m_active = false;
};

// A clock whose timers wake late, as after a suspended laptop or a stalled event loop:
// advanceNs() moves time first and only then fires the timers that fell due, all at the
// new time. ManualClock cannot show this, as it fires each timer at its own deadline.
class JumpClock : public Clock
{
public:
    qint64 nowNs() const override { return m_nowNs; }
    QDateTime wallNow() const override { return m_wallStart.addMSecs(m_nowNs / NsPerMs); }
    std::unique_ptr<ClockTimer> createTimer() override { return std::make_unique<JumpTimer>(this); }

    void advanceNs(qint64 ns)
    {
        m_nowNs += ns;
        for (;;) {
            JumpTimer* next = nullptr;
            for (JumpTimer* timer : std::as_const(m_timers)) {
                if (timer->isActive() && timer->deadlineNs() <= m_nowNs
                    && (!next || timer->deadlineNs() < next->deadlineNs()))
                    next = timer;
            }
            if (!next)
                return;
            next->fire();
        }
    }

private:
    friend class JumpTimer;

    QList<JumpTimer*> m_timers;
    qint64 m_nowNs = 0;
    QDateTime m_wallStart = QDateTime::currentDateTimeUtc();
};

JumpTimer::JumpTimer(JumpClock* clock)
    : m_clock(clock)
{
    m_clock->m_timers.append(this);
}

JumpTimer::~JumpTimer()
{
    m_clock->m_timers.removeOne(this);
}

// The prompt ids of every cycle of a two-user run with this seed, as "user:id".
QStringList promptSequence(quint64 seed)
{
    ManualClock clock;
    FakeSender sender;
    sender.setAnswerInSend(Outcome::Ok);
    EngineSettings settings = engineSettings();
    settings.seed = seed;
    settings.users = 2;
    settings.cycles = 300;
    LoadEngine engine(settings, defaultPool(), &sender, &clock);
    QSignalSpy started(&engine, &LoadEngine::cycleStarted);

    engine.start();
    clock.advanceNs(301 * PacingNs);

    QStringList ids;
    for (const CycleInfo& cycle : valuesOf<CycleInfo>(started))
        ids.append(QString::number(cycle.user) + u':' + cycle.prompt.id);
    return ids;
}

} // namespace

class TestLoadEngine : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void startsAtOnceWithoutHealthCheck();
    void waitsForHealthWithBackoff_data();
    void waitsForHealthWithBackoff();
    void noCycleWhileProbeUnanswered();
    void laterHealthAnswersIgnored_data();
    void laterHealthAnswersIgnored();
    void cyclesStayOnGrid_data();
    void cyclesStayOnGrid();
    void sequentialSendsBAfterA_data();
    void sequentialSendsBAfterA();
    void parallelSendsBoth_data();
    void parallelSendsBoth();
    void answersInsideSend_data();
    void answersInsideSend();
    void overrunSkipsSlots_data();
    void overrunSkipsSlots();
    void lateWakeUpSkipsMissedSlots_data();
    void lateWakeUpSkipsMissedSlots();
    void stopReportsTheSlotsARunningCycleOverlapped();
    void triggerNowRefused_data();
    void triggerNowRefused();
    void triggerNowStartsOffGrid();
    void stopCancelsInFlight_data();
    void stopCancelsInFlight();
    void stopWhileWaitingForAgent_data();
    void stopWhileWaitingForAgent();
    void stopFromSignalHandler_data();
    void stopFromSignalHandler();
    void restartsAfterStop();
    void cycleLimit_data();
    void cycleLimit();
    void cycleLimitWaitsForLastCycle();
    void usersKeepTheirOwnGrids();
    void runTime_data();
    void runTime();
    void sameSeedSamePrompts_data();
    void sameSeedSamePrompts();
    void recordsCarryThePrompt();
    void requestLifecycle_data();
    void requestLifecycle();
    void nextSlotIn();
};

void TestLoadEngine::startsAtOnceWithoutHealthCheck()
{
    ManualClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    EngineSettings settings = engineSettings();
    settings.waitHealthy = false;
    LoadEngine engine(settings, smallPool(), &sender, &clock);
    QSignalSpy started(&engine, &LoadEngine::cycleStarted);
    QSignalSpy states(&engine, &LoadEngine::stateChanged);

    engine.start();

    QCOMPARE(sender.probes(), 0);
    QCOMPARE(engine.state(), LoadEngine::State::Running);
    QCOMPARE(valuesOf<LoadEngine::State>(states), {LoadEngine::State::Running});
    QCOMPARE(started.count(), 1);
    const CycleInfo cycle = valuesOf<CycleInfo>(started).constFirst();
    QCOMPARE(cycle.cycle, 1u);
    QCOMPARE(cycle.user, 0);
    QCOMPARE(cycle.slot, 0);
    QCOMPARE(cycle.triggered, false);
    QCOMPARE(cycle.startedNs, StartNs);
    QCOMPARE(cycle.scheduledNs, StartNs);
    QCOMPARE(sender.sent().size(), 1);
    QCOMPARE(sender.sent().constFirst().model, Model::A);
}

void TestLoadEngine::waitsForHealthWithBackoff_data()
{
    QTest::addColumn<int>("unhealthy");
    QTest::addColumn<qint64>("firstMs");
    QTest::addColumn<qint64>("maxMs");
    QTest::addColumn<QList<qint64>>("delaysMs");

    QTest::newRow("healthyAtOnce") << 0 << 1000LL << 30000LL << QList<qint64> {};
    QTest::newRow("oneFailure") << 1 << 1000LL << 30000LL << QList<qint64> {1000};
    QTest::newRow("fourFailures") << 4 << 1000LL << 30000LL
                                  << QList<qint64> {1000, 2000, 4000, 8000};
    QTest::newRow("cappedAtThirtySeconds")
        << 8 << 1000LL << 30000LL
        << QList<qint64> {1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};
    QTest::newRow("customBackoff")
        << 5 << 250LL << 1500LL << QList<qint64> {250, 500, 1000, 1500, 1500};
}

void TestLoadEngine::waitsForHealthWithBackoff()
{
    QFETCH(int, unhealthy);
    QFETCH(qint64, firstMs);
    QFETCH(qint64, maxMs);
    QFETCH(QList<qint64>, delaysMs);

    ManualClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    sender.setHealthScript(QList<bool>(unhealthy, false));
    sender.setAnswerInSend(Outcome::Ok);
    EngineSettings settings = engineSettings();
    settings.healthRetryFirst = std::chrono::milliseconds(firstMs);
    settings.healthRetryMax = std::chrono::milliseconds(maxMs);
    LoadEngine engine(settings, smallPool(), &sender, &clock);
    QSignalSpy waiting(&engine, &LoadEngine::healthWaiting);
    QSignalSpy healthy(&engine, &LoadEngine::agentHealthy);
    QSignalSpy started(&engine, &LoadEngine::cycleStarted);
    QSignalSpy states(&engine, &LoadEngine::stateChanged);
    QList<qint64> waitingAtNs;
    connect(&engine, &LoadEngine::healthWaiting, &engine,
        [&waitingAtNs, &clock] { waitingAtNs.append(clock.nowNs()); });

    engine.start();
    for (int attempt = 1; attempt <= unhealthy; ++attempt) {
        QCOMPARE(sender.probes(), attempt);
        QCOMPARE(engine.state(), LoadEngine::State::WaitingForAgent);
        QCOMPARE(started.count(), 0);
        clock.advanceNs(delaysMs.at(attempt - 1) * NsPerMs - 1);
        QCOMPARE(sender.probes(), attempt);
        clock.advanceNs(1);
    }

    QCOMPARE(sender.probes(), unhealthy + 1);
    QList<int> attempts(unhealthy);
    std::iota(attempts.begin(), attempts.end(), 1);
    QCOMPARE(valuesOf<int>(waiting, 0), attempts);
    QCOMPARE(valuesOf<QString>(waiting, 1), QStringList(unhealthy, u"HTTP 503 from /health"_s));
    QCOMPARE(valuesOf<qint64>(waiting, 2), delaysMs);
    qint64 retryAtNs = StartNs;
    for (int i = 0; i < unhealthy; ++i) {
        QCOMPARE(waitingAtNs.at(i), retryAtNs);
        retryAtNs += delaysMs.at(i) * NsPerMs;
    }
    QCOMPARE(valuesOf<int>(healthy), {unhealthy + 1});
    QCOMPARE(valuesOf<LoadEngine::State>(states),
        QList({LoadEngine::State::WaitingForAgent, LoadEngine::State::Running}));

    QCOMPARE(started.count(), 1);
    const CycleInfo first = valuesOf<CycleInfo>(started).constFirst();
    QCOMPARE(first.slot, 0);
    QCOMPARE(first.startedNs, retryAtNs);
    QCOMPARE(first.scheduledNs, retryAtNs);

    // Only once: the next cycle waits for the next slot.
    clock.advanceNs(PacingNs - 1);
    QCOMPARE(started.count(), 1);
    clock.advanceNs(1);
    QCOMPARE(started.count(), 2);
    QCOMPARE(valuesOf<CycleInfo>(started).constLast().startedNs, retryAtNs + PacingNs);
}

void TestLoadEngine::noCycleWhileProbeUnanswered()
{
    ManualClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    sender.setHoldProbes(true);
    LoadEngine engine(engineSettings(), smallPool(), &sender, &clock);
    QSignalSpy started(&engine, &LoadEngine::cycleStarted);

    engine.start();
    clock.advanceNs(10 * PacingNs);

    QCOMPARE(engine.state(), LoadEngine::State::WaitingForAgent);
    QCOMPARE(sender.probes(), 1);
    QCOMPARE(started.count(), 0);
    QCOMPARE(sender.sent().size(), 0);
    QCOMPARE(engine.nextSlotInNs(), -1);

    const qint64 healthyAtNs = clock.nowNs();
    QVERIFY(sender.answerHeldProbe(true));

    QCOMPARE(engine.state(), LoadEngine::State::Running);
    QCOMPARE(started.count(), 1);
    QCOMPARE(valuesOf<CycleInfo>(started).constFirst().startedNs, healthyAtNs);
    QCOMPARE(engine.nextSlotInNs(), PacingNs);
}

void TestLoadEngine::laterHealthAnswersIgnored_data()
{
    QTest::addColumn<bool>("healthy");

    QTest::newRow("healthy") << true;
    QTest::newRow("unhealthy") << false;
}

void TestLoadEngine::laterHealthAnswersIgnored()
{
    QFETCH(bool, healthy);

    ManualClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    LoadEngine engine(engineSettings(), smallPool(), &sender, &clock);
    QSignalSpy started(&engine, &LoadEngine::cycleStarted);
    QSignalSpy waiting(&engine, &LoadEngine::healthWaiting);
    QSignalSpy healthyAnswers(&engine, &LoadEngine::agentHealthy);
    engine.start();
    QCOMPARE(started.count(), 1);

    // Someone else probes the same sender while the run goes on.
    sender.setHealthScript({healthy});
    sender.probeHealth();
    clock.advanceNs(PacingNs - 1);

    QCOMPARE(started.count(), 1);
    QCOMPARE(healthyAnswers.count(), 1);
    QCOMPARE(waiting.count(), 0);
    QCOMPARE(engine.state(), LoadEngine::State::Running);
    QCOMPARE(sender.probes(), 2);
}

void TestLoadEngine::cyclesStayOnGrid_data()
{
    QTest::addColumn<AbOrder>("order");
    QTest::addColumn<bool>("instant");

    QTest::newRow("instantSequential") << AbOrder::Sequential << true;
    QTest::newRow("instantParallel") << AbOrder::Parallel << true;
    QTest::newRow("slowSequential") << AbOrder::Sequential << false;
    QTest::newRow("slowParallel") << AbOrder::Parallel << false;
}

void TestLoadEngine::cyclesStayOnGrid()
{
    QFETCH(AbOrder, order);
    QFETCH(bool, instant);
    constexpr int Cycles = 10'000;

    ManualClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    if (instant)
        sender.setAnswerInSend(Outcome::Ok);
    LoadEngine engine(engineSettings(order), smallPool(), &sender, &clock);
    QSignalSpy started(&engine, &LoadEngine::cycleStarted);

    engine.start();
    if (instant) {
        clock.advanceNs((Cycles - 1) * PacingNs);
    } else {
        for (qint64 k = 0; k + 1 < Cycles; ++k) {
            // A and B take up to five minutes each, plus a few odd nanoseconds.
            const qint64 latencyA = (k * 7919 % 300'000) * NsPerMs + k % 997;
            const qint64 latencyB = (k * 104'729 % 300'000) * NsPerMs + k % 991;
            QVERIFY(answerInTurn(sender, clock, {latencyA, latencyB}));
            advanceTo(clock, StartNs + (k + 1) * PacingNs);
        }
    }

    const QList<CycleInfo> cycles = valuesOf<CycleInfo>(started);
    QCOMPARE(cycles.size(), Cycles);
    for (qint64 k = 0; k < Cycles; ++k) {
        const CycleInfo& cycle = cycles.at(k);
        QCOMPARE(cycle.cycle, quint64(k + 1));
        QCOMPARE(cycle.slot, k);
        QCOMPARE(cycle.scheduledNs, StartNs + k * PacingNs);
        QCOMPARE(cycle.startedNs, cycle.scheduledNs);
    }
    QCOMPARE(engine.slotsSkipped(), 0u);
    // Unless answered at once, the last cycle's B is still to come in sequential order.
    const bool lastBUnsent = !instant && order == AbOrder::Sequential;
    QCOMPARE(sender.sent().size(), 2 * Cycles - (lastBUnsent ? 1 : 0));
}

void TestLoadEngine::sequentialSendsBAfterA_data()
{
    QTest::addColumn<Outcome>("outcomeA");

    QTest::newRow("ok") << Outcome::Ok;
    QTest::newRow("httpError") << Outcome::HttpError;
    QTest::newRow("timeout") << Outcome::Timeout;
    QTest::newRow("connectionError") << Outcome::ConnectionError;
    QTest::newRow("invalidResponse") << Outcome::InvalidResponse;
    QTest::newRow("agentFailure") << Outcome::AgentFailure;
}

void TestLoadEngine::sequentialSendsBAfterA()
{
    QFETCH(Outcome, outcomeA);

    ManualClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    LoadEngine engine(engineSettings(AbOrder::Sequential), smallPool(), &sender, &clock);
    QSignalSpy finishedCycles(&engine, &LoadEngine::cycleFinished);

    engine.start();
    QCOMPARE(sender.sent().size(), 1);
    const RequestRecord a = sender.sent().constFirst();
    QCOMPARE(a.model, Model::A);
    clock.advanceNs(90 * NsPerSecond);
    QCOMPARE(sender.sent().size(), 1);

    QVERIFY(sender.finish(a.id, outcomeA));
    QCOMPARE(sender.sent().size(), 2);
    const RequestRecord b = sender.sent().constLast();
    QCOMPARE(b.model, Model::B);
    QVERIFY(b.id != a.id);
    QCOMPARE(b.cycle, a.cycle);
    QCOMPARE(b.user, a.user);
    QCOMPARE(b.promptId, a.promptId);
    QCOMPARE(b.message, a.message);
    QCOMPARE(b.endpoint, a.endpoint);
    QCOMPARE(b.workflow, a.workflow);
    QCOMPARE(b.startedAt, clock.wallNow());
    QCOMPARE(finishedCycles.count(), 0);
    QCOMPARE(engine.requestsInFlight(), 1);

    QVERIFY(sender.finish(b.id));
    QCOMPARE(finishedCycles.count(), 1);
    const CycleInfo cycle = valuesOf<CycleInfo>(finishedCycles).constFirst();
    QCOMPARE(cycle.cycle, a.cycle);
    QCOMPARE(cycle.failures, aimload::isFailure(outcomeA) ? 1 : 0);
    QCOMPARE(cycle.cancelled, 0);
    QCOMPARE(engine.requestsInFlight(), 0);
    QCOMPARE(engine.cyclesCompleted(), 1u);
}

void TestLoadEngine::parallelSendsBoth_data()
{
    QTest::addColumn<Model>("answeredFirst");

    QTest::newRow("aFirst") << Model::A;
    QTest::newRow("bFirst") << Model::B;
}

void TestLoadEngine::parallelSendsBoth()
{
    QFETCH(Model, answeredFirst);

    ManualClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    LoadEngine engine(engineSettings(AbOrder::Parallel), smallPool(), &sender, &clock);
    QSignalSpy finishedCycles(&engine, &LoadEngine::cycleFinished);

    engine.start();
    QCOMPARE(sender.sent().size(), 2);
    const RequestRecord a = sender.sent().at(0);
    const RequestRecord b = sender.sent().at(1);
    QCOMPARE(a.model, Model::A);
    QCOMPARE(b.model, Model::B);
    QCOMPARE(b.cycle, a.cycle);
    QCOMPARE(b.promptId, a.promptId);
    QCOMPARE(b.message, a.message);
    QCOMPARE(engine.requestsInFlight(), 2);

    const bool aFirst = answeredFirst == Model::A;
    clock.advanceNs(30 * NsPerSecond);
    QVERIFY(sender.finish(aFirst ? a.id : b.id, Outcome::Timeout));
    QCOMPARE(finishedCycles.count(), 0);
    QCOMPARE(engine.requestsInFlight(), 1);
    clock.advanceNs(30 * NsPerSecond);
    QVERIFY(sender.finish(aFirst ? b.id : a.id));

    QCOMPARE(finishedCycles.count(), 1);
    QCOMPARE(valuesOf<CycleInfo>(finishedCycles).constFirst().failures, 1);
    QCOMPARE(sender.sent().size(), 2);
    QCOMPARE(engine.requestsInFlight(), 0);
}

void TestLoadEngine::answersInsideSend_data()
{
    QTest::addColumn<AbOrder>("order");
    QTest::addColumn<Outcome>("outcome");

    QTest::newRow("sequentialOk") << AbOrder::Sequential << Outcome::Ok;
    QTest::newRow("sequentialFailure") << AbOrder::Sequential << Outcome::HttpError;
    QTest::newRow("parallelOk") << AbOrder::Parallel << Outcome::Ok;
    QTest::newRow("parallelFailure") << AbOrder::Parallel << Outcome::ConnectionError;
}

void TestLoadEngine::answersInsideSend()
{
    QFETCH(AbOrder, order);
    QFETCH(Outcome, outcome);

    ManualClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    sender.setAnswerInSend(outcome);
    LoadEngine engine(engineSettings(order), smallPool(), &sender, &clock);
    QSignalSpy started(&engine, &LoadEngine::cycleStarted);
    QSignalSpy finishedCycles(&engine, &LoadEngine::cycleFinished);
    QSignalSpy finishedRequests(&engine, &LoadEngine::requestFinished);

    engine.start();

    QCOMPARE(sender.sent().size(), 2);
    QCOMPARE(sender.sent().at(0).model, Model::A);
    QCOMPARE(sender.sent().at(1).model, Model::B);
    QCOMPARE(sender.sent().at(1).cycle, sender.sent().at(0).cycle);
    QCOMPARE(sender.sent().at(1).promptId, sender.sent().at(0).promptId);
    QCOMPARE(started.count(), 1);
    QCOMPARE(finishedCycles.count(), 1);
    QCOMPARE(finishedRequests.count(), 2);
    const bool failed = aimload::isFailure(outcome);
    QCOMPARE(valuesOf<CycleInfo>(finishedCycles).constFirst().failures, failed ? 2 : 0);
    QCOMPARE(engine.requestsInFlight(), 0);

    clock.advanceNs(3 * PacingNs);
    QCOMPARE(started.count(), 4);
    QCOMPARE(finishedCycles.count(), 4);
    QCOMPARE(sender.sent().size(), 8);
    QCOMPARE(engine.cyclesCompleted(), 4u);
}

void TestLoadEngine::overrunSkipsSlots_data()
{
    QTest::addColumn<qint64>("durationNs");
    QTest::addColumn<int>("skipped");

    QTest::newRow("justUnderOnePeriod") << PacingNs - 1 << 0;
    QTest::newRow("justOverOnePeriod") << PacingNs + 1 << 1;
    QTest::newRow("oneAndAHalfPeriods") << PacingNs * 3 / 2 << 1;
    QTest::newRow("overThreePeriods") << 3 * PacingNs + 60 * NsPerSecond << 3;
}

void TestLoadEngine::overrunSkipsSlots()
{
    QFETCH(qint64, durationNs);
    QFETCH(int, skipped);

    ManualClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    LoadEngine engine(engineSettings(), smallPool(), &sender, &clock);
    QSignalSpy started(&engine, &LoadEngine::cycleStarted);
    QSignalSpy skips(&engine, &LoadEngine::skippedSlots);

    engine.start();
    QVERIFY(answerInTurn(sender, clock, {durationNs / 2, durationNs - durationNs / 2}));

    // The whole stretch is one report, made when the cycle has ended.
    QCOMPARE(skips.count(), skipped > 0 ? 1 : 0);
    if (skipped > 0) {
        QCOMPARE(skips.constFirst().at(0).toInt(), 0);
        QCOMPARE(skips.constFirst().at(1).toLongLong(), 1);
        QCOMPARE(skips.constFirst().at(2).toLongLong(), qint64(skipped));
        QVERIFY2(skips.constFirst().at(3).toString().contains(u"cycle 1 was still running"_s),
            qPrintable(skips.constFirst().at(3).toString()));
    }
    QCOMPARE(engine.slotsSkipped(), quint64(skipped));
    // No catching up when the long cycle ends: the next one waits for its grid point.
    QCOMPARE(started.count(), 1);
    const qint64 nextGridNs = StartNs + (skipped + 1) * PacingNs;
    QCOMPARE(engine.nextSlotInNs(), nextGridNs - clock.nowNs());
    advanceTo(clock, nextGridNs - 1);
    QCOMPARE(started.count(), 1);

    clock.advanceNs(1);
    QCOMPARE(started.count(), 2);
    const CycleInfo next = valuesOf<CycleInfo>(started).constLast();
    QCOMPARE(next.slot, qint64(skipped + 1));
    QCOMPARE(next.scheduledNs, nextGridNs);
    QCOMPARE(next.startedNs, nextGridNs);
    QCOMPARE(skips.count(), skipped > 0 ? 1 : 0);
}

void TestLoadEngine::lateWakeUpSkipsMissedSlots_data()
{
    QTest::addColumn<qint64>("lateByNs");
    QTest::addColumn<bool>("busy");
    QTest::addColumn<int>("lateSkips");

    // The timer for slot 1 wakes lateByNs after the start instead of one period after it.
    QTest::newRow("halfAPeriodLate") << PacingNs * 3 / 2 << false << 0;
    QTest::newRow("fivePeriodsLate") << 5 * PacingNs << false << 4;
    QTest::newRow("fiveAndAHalfPeriodsLate") << PacingNs * 11 / 2 << false << 4;
    QTest::newRow("fivePeriodsLateWhileBusy") << 5 * PacingNs << true << 4;
}

void TestLoadEngine::lateWakeUpSkipsMissedSlots()
{
    QFETCH(qint64, lateByNs);
    QFETCH(bool, busy);
    QFETCH(int, lateSkips);

    JumpClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    if (!busy)
        sender.setAnswerInSend(Outcome::Ok);
    LoadEngine engine(engineSettings(), smallPool(), &sender, &clock);
    QSignalSpy started(&engine, &LoadEngine::cycleStarted);
    QSignalSpy skips(&engine, &LoadEngine::skippedSlots);

    engine.start();
    clock.advanceNs(lateByNs);

    const qint64 dueSlot = lateByNs / PacingNs;
    // The slots it slept through are one report.
    QCOMPARE(skips.count(), lateSkips > 0 ? 1 : 0);
    if (lateSkips > 0) {
        QCOMPARE(skips.constFirst().at(1).toLongLong(), 1);
        QCOMPARE(skips.constFirst().at(2).toLongLong(), qint64(lateSkips));
        QVERIFY2(skips.constFirst().at(3).toString().contains(u"not scheduled in time"_s),
            qPrintable(skips.constFirst().at(3).toString()));
    }
    if (busy) {
        // The due slot overlaps the running cycle: reported once that cycle ends.
        QCOMPARE(started.count(), 1);
        QCOMPARE(finishOpenOf(sender, 0), 2);
        QCOMPARE(skips.count(), (lateSkips > 0 ? 1 : 0) + 1);
        QCOMPARE(skips.constLast().at(1).toLongLong(), dueSlot);
        QCOMPARE(skips.constLast().at(2).toLongLong(), 1);
        QVERIFY(skips.constLast().at(3).toString().contains(u"still running"_s));
        sender.setAnswerInSend(Outcome::Ok);
    } else {
        QCOMPARE(started.count(), 2);
        const CycleInfo late = valuesOf<CycleInfo>(started).constLast();
        QCOMPARE(late.slot, dueSlot);
        QCOMPARE(late.scheduledNs, StartNs + dueSlot * PacingNs);
        QCOMPARE(late.startedNs, StartNs + lateByNs);
    }
    QCOMPARE(engine.slotsSkipped(), quint64(lateSkips + (busy ? 1 : 0)));

    // Back on the grid, one cycle per slot.
    const qint64 nextGridNs = StartNs + (dueSlot + 1) * PacingNs;
    QCOMPARE(engine.nextSlotInNs(), nextGridNs - clock.nowNs());
    const int startedBefore = int(started.count());
    advanceTo(clock, nextGridNs);
    QCOMPARE(started.count(), startedBefore + 1);
    const CycleInfo next = valuesOf<CycleInfo>(started).constLast();
    QCOMPARE(next.slot, dueSlot + 1);
    QCOMPARE(next.startedNs, nextGridNs);
    QCOMPARE(next.scheduledNs, nextGridNs);
}

// The timer rests while a cycle overruns: one wake-up for the first slot it overlaps,
// however many pass, and a stop still reports them.
void TestLoadEngine::stopReportsTheSlotsARunningCycleOverlapped()
{
    ManualClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    LoadEngine engine(engineSettings(), smallPool(), &sender, &clock);
    QSignalSpy started(&engine, &LoadEngine::cycleStarted);
    QSignalSpy skips(&engine, &LoadEngine::skippedSlots);

    engine.start();
    QCOMPARE(started.count(), 1);
    advanceTo(clock, StartNs + PacingNs * 7 / 2);
    QCOMPARE(skips.count(), 0);
    QCOMPARE(engine.slotsSkipped(), 3u); // counted as they pass, reported at the end
    // The countdown still shows the next grid point.
    QCOMPARE(engine.nextSlotInNs(), StartNs + 4 * PacingNs - clock.nowNs());

    engine.stop();
    QCOMPARE(skips.count(), 1);
    QCOMPARE(skips.constFirst().at(1).toLongLong(), 1);
    QCOMPARE(skips.constFirst().at(2).toLongLong(), 3);
    QCOMPARE(engine.slotsSkipped(), 3u);
    QCOMPARE(started.count(), 1);
}

void TestLoadEngine::triggerNowRefused_data()
{
    QTest::addColumn<QString>("situation");
    QTest::addColumn<QString>("reasonPart");

    QTest::newRow("notStarted") << u"notStarted"_s << u"not running"_s;
    QTest::newRow("waitingForAgent") << u"waitingForAgent"_s << u"not healthy"_s;
    QTest::newRow("cycleRunning") << u"cycleRunning"_s << u"still running"_s;
    QTest::newRow("stopped") << u"stopped"_s << u"not running"_s;
}

void TestLoadEngine::triggerNowRefused()
{
    QFETCH(QString, situation);
    QFETCH(QString, reasonPart);

    ManualClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    sender.setHoldProbes(situation == u"waitingForAgent"_s);
    LoadEngine engine(engineSettings(), smallPool(), &sender, &clock);
    QSignalSpy started(&engine, &LoadEngine::cycleStarted);
    if (situation != u"notStarted"_s)
        engine.start();
    if (situation == u"stopped"_s)
        engine.stop();
    clock.advanceNs(60 * NsPerSecond);
    const qsizetype startedBefore = started.count();
    const qsizetype sentBefore = sender.sent().size();

    const TriggerResult result = engine.triggerNow();

    QCOMPARE(result.accepted, false);
    QVERIFY2(result.reason.contains(reasonPart), qPrintable(result.reason));
    QCOMPARE(started.count(), startedBefore);
    QCOMPARE(sender.sent().size(), sentBefore);
}

void TestLoadEngine::triggerNowStartsOffGrid()
{
    ManualClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    sender.setAnswerInSend(Outcome::Ok);
    LoadEngine engine(engineSettings(), smallPool(), &sender, &clock);
    QSignalSpy started(&engine, &LoadEngine::cycleStarted);

    engine.start();
    clock.advanceNs(300 * NsPerSecond);
    QCOMPARE(engine.nextSlotInNs(), PacingNs - 300 * NsPerSecond);

    const TriggerResult result = engine.triggerNow();

    QCOMPARE(result.accepted, true);
    QCOMPARE(result.reason, QString());
    QCOMPARE(started.count(), 2);
    const CycleInfo triggered = valuesOf<CycleInfo>(started).constLast();
    QCOMPARE(triggered.triggered, true);
    QCOMPARE(triggered.slot, -1);
    QCOMPARE(triggered.cycle, 2u);
    QCOMPARE(triggered.startedNs, StartNs + 300 * NsPerSecond);
    QCOMPARE(triggered.scheduledNs, triggered.startedNs);
    QCOMPARE(sender.sent().size(), 4);
    QCOMPARE(sender.sent().at(1).triggered, false);
    QCOMPARE(sender.sent().at(2).triggered, true);
    QCOMPARE(sender.sent().at(3).triggered, true);
    QCOMPARE(sender.sent().at(3).cycle, 2u);

    // The grid has not moved.
    QCOMPARE(engine.nextSlotInNs(), PacingNs - 300 * NsPerSecond);
    advanceTo(clock, StartNs + PacingNs - 1);
    QCOMPARE(started.count(), 2);
    clock.advanceNs(1);
    QCOMPARE(started.count(), 3);
    const CycleInfo next = valuesOf<CycleInfo>(started).constLast();
    QCOMPARE(next.triggered, false);
    QCOMPARE(next.slot, 1);
    QCOMPARE(next.startedNs, StartNs + PacingNs);
    QCOMPARE(next.scheduledNs, StartNs + PacingNs);
    QCOMPARE(engine.slotsSkipped(), 0u);
}

void TestLoadEngine::stopCancelsInFlight_data()
{
    QTest::addColumn<AbOrder>("order");
    QTest::addColumn<bool>("answerA");
    QTest::addColumn<QList<Model>>("cancelled");

    QTest::newRow("sequentialDuringA") << AbOrder::Sequential << false << QList<Model> {Model::A};
    QTest::newRow("sequentialDuringB") << AbOrder::Sequential << true << QList<Model> {Model::B};
    QTest::newRow("parallel") << AbOrder::Parallel << false << QList<Model> {Model::A, Model::B};
}

void TestLoadEngine::stopCancelsInFlight()
{
    QFETCH(AbOrder, order);
    QFETCH(bool, answerA);
    QFETCH(QList<Model>, cancelled);

    ManualClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    LoadEngine engine(engineSettings(order), smallPool(), &sender, &clock);
    QSignalSpy started(&engine, &LoadEngine::cycleStarted);
    QSignalSpy finishedCycles(&engine, &LoadEngine::cycleFinished);
    QSignalSpy finishedRequests(&engine, &LoadEngine::requestFinished);
    QSignalSpy finished(&engine, &LoadEngine::finished);
    QSignalSpy states(&engine, &LoadEngine::stateChanged);

    engine.start();
    if (answerA)
        QVERIFY(answerInTurn(sender, clock, {20 * NsPerSecond}));
    clock.advanceNs(10 * NsPerSecond);
    const qsizetype sentBefore = sender.sent().size();
    const qsizetype finishedBefore = finishedRequests.count();

    engine.stop();

    const QList<RequestRecord> records = valuesOf<RequestRecord>(finishedRequests);
    QList<Model> cancelledModels;
    for (qsizetype i = finishedBefore; i < records.size(); ++i) {
        QCOMPARE(records.at(i).outcome, Outcome::Cancelled);
        cancelledModels.append(records.at(i).model);
    }
    QCOMPARE(cancelledModels, cancelled);
    QCOMPARE(engine.requestsInFlight(), 0);
    QCOMPARE(sender.open().size(), 0);
    QCOMPARE(sender.sent().size(), sentBefore);
    QCOMPARE(finishedCycles.count(), 1);
    QCOMPARE(valuesOf<CycleInfo>(finishedCycles).constFirst().cancelled, int(cancelled.size()));
    QCOMPARE(engine.state(), LoadEngine::State::Stopped);
    QCOMPARE(states.constLast().at(0).value<LoadEngine::State>(), LoadEngine::State::Stopped);
    QCOMPARE(valuesOf<QString>(finished), {u"stopped"_s});

    clock.advanceNs(100 * PacingNs);
    engine.stop();
    QCOMPARE(started.count(), 1);
    QCOMPARE(sender.sent().size(), sentBefore);
    QCOMPARE(finished.count(), 1);
    QCOMPARE(engine.nextSlotInNs(), -1);
    QCOMPARE(clock.activeTimers(), 0);
}

void TestLoadEngine::stopWhileWaitingForAgent_data()
{
    QTest::addColumn<bool>("probeHeld");

    QTest::newRow("probeUnanswered") << true;
    QTest::newRow("retryScheduled") << false;
}

void TestLoadEngine::stopWhileWaitingForAgent()
{
    QFETCH(bool, probeHeld);

    ManualClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    sender.setHoldProbes(probeHeld);
    sender.setHealthScript({false});
    LoadEngine engine(engineSettings(), smallPool(), &sender, &clock);
    QSignalSpy started(&engine, &LoadEngine::cycleStarted);
    QSignalSpy finished(&engine, &LoadEngine::finished);

    engine.start();
    QCOMPARE(engine.state(), LoadEngine::State::WaitingForAgent);
    engine.stop();

    QCOMPARE(engine.state(), LoadEngine::State::Stopped);
    QCOMPARE(valuesOf<QString>(finished), {u"stopped"_s});
    // A late answer to the probe, or the retry it would have had, starts nothing.
    if (probeHeld)
        QVERIFY(sender.answerHeldProbe(true));
    clock.advanceNs(10 * PacingNs);
    QCOMPARE(sender.probes(), 1);
    QCOMPARE(started.count(), 0);
    QCOMPARE(engine.state(), LoadEngine::State::Stopped);
    QCOMPARE(finished.count(), 1);
}

void TestLoadEngine::stopFromSignalHandler_data()
{
    QTest::addColumn<QString>("signal");
    QTest::addColumn<bool>("answerAtOnce");

    for (const bool atOnce : {false, true}) {
        const QString suffix = atOnce ? u"AnsweredAtOnce"_s : u"Held"_s;
        for (const QString& signal :
            {u"cycleStarted"_s, u"requestStarted"_s, u"requestFinished"_s, u"cycleFinished"_s}) {
            QTest::addRow("%s%s", qPrintable(signal), qPrintable(suffix)) << signal << atOnce;
        }
    }
}

void TestLoadEngine::stopFromSignalHandler()
{
    QFETCH(QString, signal);
    QFETCH(bool, answerAtOnce);

    ManualClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    if (answerAtOnce)
        sender.setAnswerInSend(Outcome::Ok);
    LoadEngine engine(engineSettings(), smallPool(), &sender, &clock);
    QSignalSpy requestsStarted(&engine, &LoadEngine::requestStarted);
    QSignalSpy requestsFinished(&engine, &LoadEngine::requestFinished);
    QSignalSpy finished(&engine, &LoadEngine::finished);
    // Nothing starts or leaves once the run has finished.
    int startedAfterFinished = 0;
    int sentAfterFinished = 0;
    connect(&engine, &LoadEngine::requestStarted, &engine,
        [&startedAfterFinished, &finished] { startedAfterFinished += finished.count(); });
    connect(&sender, &FakeSender::requestSent, &engine,
        [&sentAfterFinished, &finished] { sentAfterFinished += finished.count(); });
    const auto stopEngine = [&engine] {
        engine.stop();
    };
    if (signal == u"cycleStarted"_s)
        connect(&engine, &LoadEngine::cycleStarted, &engine, stopEngine);
    else if (signal == u"requestStarted"_s)
        connect(&engine, &LoadEngine::requestStarted, &engine, stopEngine);
    else if (signal == u"requestFinished"_s)
        connect(&engine, &LoadEngine::requestFinished, &engine, stopEngine);
    else
        connect(&engine, &LoadEngine::cycleFinished, &engine, stopEngine);

    engine.start();
    if (!answerAtOnce)
        answerInTurn(sender, clock, {NsPerSecond, NsPerSecond});
    clock.advanceNs(3 * PacingNs);

    QCOMPARE(valuesOf<QString>(finished), {u"stopped"_s});
    QCOMPARE(engine.state(), LoadEngine::State::Stopped);
    QCOMPARE(startedAfterFinished, 0);
    QCOMPARE(sentAfterFinished, 0);
    QCOMPARE(sender.open().size(), 0);
    QCOMPARE(engine.requestsInFlight(), 0);
    QCOMPARE(requestsFinished.count(), requestsStarted.count());
    QCOMPARE(engine.cyclesCompleted(), engine.cyclesStarted());
}

void TestLoadEngine::restartsAfterStop()
{
    ManualClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    sender.setAnswerInSend(Outcome::Ok);
    LoadEngine engine(engineSettings(), smallPool(), &sender, &clock);
    QSignalSpy started(&engine, &LoadEngine::cycleStarted);
    QSignalSpy finished(&engine, &LoadEngine::finished);

    engine.start();
    clock.advanceNs(2 * PacingNs + 100 * NsPerSecond);
    engine.stop();
    clock.advanceNs(1000 * NsPerSecond);
    const qint64 restartNs = clock.nowNs();
    engine.start();

    QCOMPARE(engine.state(), LoadEngine::State::Running);
    QCOMPARE(sender.probes(), 2);
    QCOMPARE(started.count(), 4);
    CycleInfo first = valuesOf<CycleInfo>(started).constLast();
    QCOMPARE(first.cycle, 4u);
    QCOMPARE(first.slot, 0);
    QCOMPARE(first.startedNs, restartNs);

    clock.advanceNs(PacingNs);
    QCOMPARE(started.count(), 5);
    const CycleInfo second = valuesOf<CycleInfo>(started).constLast();
    QCOMPARE(second.cycle, 5u);
    QCOMPARE(second.slot, 1);
    QCOMPARE(second.startedNs, restartNs + PacingNs);
    QCOMPARE(finished.count(), 1);
}

void TestLoadEngine::cycleLimit_data()
{
    QTest::addColumn<int>("users");
    QTest::addColumn<double>("spawnRate");
    QTest::addColumn<int>("cycles");
    QTest::addColumn<AbOrder>("order");

    QTest::newRow("oneUserThreeCycles") << 1 << 1.0 << 3 << AbOrder::Sequential;
    QTest::newRow("threeUsersTwoCycles") << 3 << 1.0 << 2 << AbOrder::Sequential;
    QTest::newRow("threeUsersTwoPerSecond") << 3 << 2.0 << 2 << AbOrder::Sequential;
    QTest::newRow("fourUsersParallel") << 4 << 0.5 << 3 << AbOrder::Parallel;
    // User 0 is done before the others are spawned.
    QTest::newRow("threeUsersOneCycle") << 3 << 1.0 << 1 << AbOrder::Sequential;
}

void TestLoadEngine::cycleLimit()
{
    QFETCH(int, users);
    QFETCH(double, spawnRate);
    QFETCH(int, cycles);
    QFETCH(AbOrder, order);

    ManualClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    sender.setAnswerInSend(Outcome::Ok);
    EngineSettings settings = engineSettings(order);
    settings.users = users;
    settings.spawnRate = spawnRate;
    settings.cycles = cycles;
    LoadEngine engine(settings, smallPool(), &sender, &clock);
    QSignalSpy started(&engine, &LoadEngine::cycleStarted);
    QSignalSpy finished(&engine, &LoadEngine::finished);
    QList<qint64> finishedAtNs;
    connect(&engine, &LoadEngine::finished, &engine,
        [&finishedAtNs, &clock] { finishedAtNs.append(clock.nowNs()); });

    engine.start();
    clock.advanceNs((cycles + 2) * PacingNs);

    QCOMPARE(valuesOf<QString>(finished), {u"cycle limit reached"_s});
    QCOMPARE(engine.state(), LoadEngine::State::Stopped);
    const auto spawnIntervalNs = qint64(NsPerSecond / spawnRate);
    QList<int> perUser(users, 0);
    QSet<quint64> numbers;
    for (const CycleInfo& cycle : valuesOf<CycleInfo>(started)) {
        numbers.insert(cycle.cycle);
        const int k = perUser[cycle.user]++;
        QCOMPARE(cycle.slot, k);
        QCOMPARE(cycle.scheduledNs, StartNs + cycle.user * spawnIntervalNs + k * PacingNs);
        QCOMPARE(cycle.startedNs, cycle.scheduledNs);
    }
    QCOMPARE(perUser, QList<int>(users, cycles));
    QCOMPARE(numbers.size(), users * cycles);
    QCOMPARE(*std::min_element(numbers.cbegin(), numbers.cend()), 1u);
    QCOMPARE(*std::max_element(numbers.cbegin(), numbers.cend()), quint64(users * cycles));
    QCOMPARE(sender.sent().size(), 2 * users * cycles);
    QCOMPARE(engine.cyclesCompleted(), quint64(users * cycles));
    QCOMPARE(finishedAtNs, {StartNs + (users - 1) * spawnIntervalNs + (cycles - 1) * PacingNs});
    QCOMPARE(engine.nextSlotInNs(), -1);
    QCOMPARE(clock.activeTimers(), 0);
}

void TestLoadEngine::cycleLimitWaitsForLastCycle()
{
    ManualClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    EngineSettings settings = engineSettings();
    settings.cycles = 2;
    LoadEngine engine(settings, smallPool(), &sender, &clock);
    QSignalSpy started(&engine, &LoadEngine::cycleStarted);
    QSignalSpy finished(&engine, &LoadEngine::finished);
    QSignalSpy finishedRequests(&engine, &LoadEngine::requestFinished);

    engine.start();
    QVERIFY(answerInTurn(sender, clock, {NsPerSecond, NsPerSecond}));
    advanceTo(clock, StartNs + PacingNs);
    QCOMPARE(started.count(), 2);
    clock.advanceNs(5 * PacingNs);
    QCOMPARE(started.count(), 2);
    QCOMPARE(finished.count(), 0);
    QCOMPARE(engine.state(), LoadEngine::State::Running);

    QVERIFY(answerInTurn(sender, clock, {NsPerSecond}));
    QCOMPARE(finished.count(), 0);
    QVERIFY(answerInTurn(sender, clock, {NsPerSecond}));

    QCOMPARE(valuesOf<QString>(finished), {u"cycle limit reached"_s});
    QCOMPARE(countOutcome(finishedRequests, Outcome::Cancelled), 0);
    QCOMPARE(countOutcome(finishedRequests, Outcome::Ok), 4);
    QCOMPARE(engine.slotsSkipped(), 0u);
}

void TestLoadEngine::usersKeepTheirOwnGrids()
{
    ManualClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    EngineSettings settings = engineSettings();
    settings.users = 2;
    LoadEngine engine(settings, smallPool(), &sender, &clock);
    QSignalSpy started(&engine, &LoadEngine::cycleStarted);
    QSignalSpy skips(&engine, &LoadEngine::skippedSlots);

    engine.start();
    clock.advanceNs(NsPerSecond);
    QCOMPARE(started.count(), 2);
    QCOMPARE(finishOpenOf(sender, 1), 2);
    // User 0's cycle overruns its next slot; user 1's grid does not notice.
    advanceTo(clock, StartNs + PacingNs + NsPerSecond);

    QCOMPARE(started.count(), 3);
    const CycleInfo user1 = valuesOf<CycleInfo>(started).constLast();
    QCOMPARE(user1.user, 1);
    QCOMPARE(user1.slot, 1);
    QCOMPARE(user1.startedNs, StartNs + NsPerSecond + PacingNs);

    QCOMPARE(skips.count(), 0);
    QCOMPARE(finishOpenOf(sender, 0), 2);
    QCOMPARE(skips.count(), 1);
    QCOMPARE(skips.constFirst().at(0).toInt(), 0);
    QCOMPARE(skips.constFirst().at(1).toLongLong(), 1);
    QCOMPARE(skips.constFirst().at(2).toLongLong(), 1);
    QCOMPARE(finishOpenOf(sender, 1), 2);
    advanceTo(clock, StartNs + 2 * PacingNs + NsPerSecond);
    QCOMPARE(started.count(), 5);
    const QList<CycleInfo> cycles = valuesOf<CycleInfo>(started);
    QCOMPARE(cycles.at(3).user, 0);
    QCOMPARE(cycles.at(3).startedNs, StartNs + 2 * PacingNs);
    QCOMPARE(cycles.at(4).user, 1);
    QCOMPARE(cycles.at(4).startedNs, StartNs + NsPerSecond + 2 * PacingNs);
}

void TestLoadEngine::runTime_data()
{
    QTest::addColumn<qint64>("runTimeMs");
    QTest::addColumn<bool>("agentHealthy");
    QTest::addColumn<bool>("answerAtOnce");
    QTest::addColumn<int>("cycles");
    QTest::addColumn<int>("cancelled");
    QTest::addColumn<int>("probes");

    const qint64 pacingMs = PacingNs / NsPerMs;
    QTest::newRow("duringFirstCycle") << 100'000LL << true << false << 1 << 1 << 1;
    QTest::newRow("betweenCycles") << pacingMs * 5 / 2 << true << true << 3 << 0 << 1;
    // The slot that falls on the end is not started only to be cancelled.
    QTest::newRow("onAGridPoint") << 2 * pacingMs << true << true << 2 << 0 << 1;
    // Probes at 0, 1, 3 and 7 s; the next would be at 15 s.
    QTest::newRow("whileWaitingForAgent") << 10'000LL << false << true << 0 << 0 << 4;
}

void TestLoadEngine::runTime()
{
    QFETCH(qint64, runTimeMs);
    QFETCH(bool, agentHealthy);
    QFETCH(bool, answerAtOnce);
    QFETCH(int, cycles);
    QFETCH(int, cancelled);
    QFETCH(int, probes);

    ManualClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    if (!agentHealthy)
        sender.setHealthScript(QList<bool>(1000, false));
    if (answerAtOnce)
        sender.setAnswerInSend(Outcome::Ok);
    EngineSettings settings = engineSettings();
    settings.runTime = std::chrono::milliseconds(runTimeMs);
    LoadEngine engine(settings, smallPool(), &sender, &clock);
    QSignalSpy started(&engine, &LoadEngine::cycleStarted);
    QSignalSpy finishedRequests(&engine, &LoadEngine::requestFinished);
    QSignalSpy finished(&engine, &LoadEngine::finished);
    QList<qint64> finishedAtNs;
    connect(&engine, &LoadEngine::finished, &engine,
        [&finishedAtNs, &clock] { finishedAtNs.append(clock.nowNs()); });

    engine.start();
    clock.advanceNs(runTimeMs * NsPerMs + 10 * PacingNs);

    QCOMPARE(valuesOf<QString>(finished), {u"run time reached"_s});
    QCOMPARE(finishedAtNs, {StartNs + runTimeMs * NsPerMs});
    QCOMPARE(engine.state(), LoadEngine::State::Stopped);
    QCOMPARE(started.count(), cycles);
    QCOMPARE(countOutcome(finishedRequests, Outcome::Cancelled), cancelled);
    QCOMPARE(sender.probes(), probes);
    QCOMPARE(engine.requestsInFlight(), 0);
    QCOMPARE(sender.open().size(), 0);
    QCOMPARE(clock.activeTimers(), 0);
}

void TestLoadEngine::sameSeedSamePrompts_data()
{
    QTest::addColumn<quint64>("seed");

    QTest::newRow("zero") << quint64(0);
    QTest::newRow("fortyTwo") << quint64(42);
    QTest::newRow("large") << quint64(0xfedcba9876543210ULL);
}

void TestLoadEngine::sameSeedSamePrompts()
{
    QFETCH(quint64, seed);

    const QStringList first = promptSequence(seed);
    const QStringList second = promptSequence(seed);
    const QStringList other = promptSequence(seed + 1000);

    QCOMPARE(first.size(), 600);
    QCOMPARE(second, first);
    QVERIFY(other != first);
    QVERIFY(QSet<QString>(first.cbegin(), first.cend()).size() > 10);
}

void TestLoadEngine::recordsCarryThePrompt()
{
    ManualClock clock;
    FakeSender sender;
    sender.setAnswerInSend(Outcome::Ok);
    const PromptPool pool = defaultPool();
    LoadEngine engine(engineSettings(), pool, &sender, &clock);
    QSignalSpy started(&engine, &LoadEngine::cycleStarted);

    engine.start();
    clock.advanceNs(499 * PacingNs);

    const QList<CycleInfo> cycles = valuesOf<CycleInfo>(started);
    QCOMPARE(cycles.size(), 500);
    QCOMPARE(sender.sent().size(), 1000);
    QSet<int> endpoints;
    for (const RequestRecord& record : sender.sent()) {
        const Prompt* prompt = pool.findPrompt(record.promptId);
        QVERIFY2(prompt, qPrintable(record.promptId));
        QCOMPARE(record.group, prompt->group);
        QCOMPARE(record.description, prompt->description);
        QCOMPARE(record.message, prompt->text);
        QCOMPARE(record.endpoint, prompt->endpoint);
        QCOMPARE(record.workflow, prompt->workflow);
        const CycleInfo& cycle = cycles.at(qsizetype(record.cycle - 1));
        QCOMPARE(cycle.cycle, record.cycle);
        QCOMPARE(cycle.prompt.id, record.promptId);
        endpoints.insert(int(record.endpoint));
    }
    QCOMPARE(endpoints.size(), 2);
}

void TestLoadEngine::requestLifecycle_data()
{
    QTest::addColumn<bool>("answerAtOnce");

    QTest::newRow("answersHeld") << false;
    QTest::newRow("answersInsideSend") << true;
}

void TestLoadEngine::requestLifecycle()
{
    QFETCH(bool, answerAtOnce);

    ManualClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    if (answerAtOnce)
        sender.setAnswerInSend(Outcome::Ok);
    EngineSettings settings = engineSettings(AbOrder::Parallel);
    settings.users = 3;
    LoadEngine engine(settings, smallPool(), &sender, &clock);
    QSet<quint64> startedIds;
    QSet<quint64> finishedIds;
    QStringList problems;
    connect(&engine, &LoadEngine::requestStarted, &engine,
        [&startedIds, &finishedIds, &problems, &engine](const RequestRecord& record) {
            if (startedIds.contains(record.id))
                problems.append(u"%1 started twice"_s.arg(record.id));
            startedIds.insert(record.id);
            if (engine.requestsInFlight() != startedIds.size() - finishedIds.size())
                problems.append(u"in flight is off after %1 started"_s.arg(record.id));
        });
    connect(&engine, &LoadEngine::requestFinished, &engine,
        [&startedIds, &finishedIds, &problems, &engine](const RequestRecord& record) {
            if (!startedIds.contains(record.id) || finishedIds.contains(record.id))
                problems.append(u"%1 finished before it started or twice"_s.arg(record.id));
            finishedIds.insert(record.id);
            if (engine.requestsInFlight() != startedIds.size() - finishedIds.size())
                problems.append(u"in flight is off after %1 finished"_s.arg(record.id));
        });

    engine.start();
    for (int slot = 0; slot < 20; ++slot) {
        advanceTo(clock, StartNs + slot * PacingNs + 3 * NsPerSecond);
        QCOMPARE(sender.open().size(), answerAtOnce ? 0 : 6);
        // Newest first, so every B is answered before its A.
        while (!sender.open().isEmpty()) {
            clock.advanceNs(NsPerSecond);
            sender.finish(sender.open().constLast().id, Outcome::Ok);
        }
    }
    advanceTo(clock, StartNs + 20 * PacingNs + 3 * NsPerSecond);
    engine.stop();

    QCOMPARE(problems, QStringList());
    QCOMPARE(startedIds.size(), 2 * 3 * 21);
    QCOMPARE(finishedIds, startedIds);
    QCOMPARE(engine.requestsInFlight(), 0);
    QCOMPARE(engine.cyclesStarted(), 63u);
    QCOMPARE(engine.cyclesCompleted(), 63u);
}

void TestLoadEngine::nextSlotIn()
{
    ManualClock clock;
    clock.advanceNs(StartNs);
    FakeSender sender;
    sender.setAnswerInSend(Outcome::Ok);
    EngineSettings settings = engineSettings();
    settings.users = 3;
    LoadEngine engine(settings, smallPool(), &sender, &clock);
    QCOMPARE(engine.nextSlotInNs(), -1);

    engine.start();
    // The next user's first slot comes first.
    QCOMPARE(engine.nextSlotInNs(), NsPerSecond);
    clock.advanceNs(400 * NsPerMs);
    QCOMPARE(engine.nextSlotInNs(), 600 * NsPerMs);
    advanceTo(clock, StartNs + 2 * NsPerSecond);
    QCOMPARE(engine.nextSlotInNs(), PacingNs - 2 * NsPerSecond);
    advanceTo(clock, StartNs + PacingNs);
    QCOMPARE(engine.nextSlotInNs(), NsPerSecond);
    advanceTo(clock, StartNs + PacingNs + 2 * NsPerSecond + 1);
    QCOMPARE(engine.nextSlotInNs(), PacingNs - 2 * NsPerSecond - 1);

    engine.stop();
    QCOMPARE(engine.nextSlotInNs(), -1);
}

QTEST_GUILESS_MAIN(TestLoadEngine)
#include "tst_loadengine.moc"
