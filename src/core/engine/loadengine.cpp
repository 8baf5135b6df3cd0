#include "engine/loadengine.h"

#include "agent/requestsender.h"
#include "engine/clock.h"

#include <QLoggingCategory>

#include <algorithm>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcEngine, "aimload.engine", QtWarningMsg)

namespace aimload {

namespace {

constexpr qint64 NsPerMs = 1'000'000;

quint64 splitMix64(quint64 x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

QString randomHex(std::mt19937_64& rng, int digits)
{
    QString hex;
    while (hex.size() < digits)
        hex += QString::number(rng(), 16).rightJustified(16, u'0');
    hex.truncate(digits);
    // All zeros is an invalid id in W3C trace context.
    if (hex.count(u'0') == digits)
        hex[digits - 1] = u'1';
    return hex;
}

} // namespace

struct LoadEngine::User
{
    int index = 0;
    qint64 gridStartNs = 0;
    qint64 nextSlot = 0;
    // The first slot that came while the current cycle ran, or -1; the timer then rests
    // until the cycle ends.
    qint64 skippedSince = -1;
    int cyclesStarted = 0;
    std::unique_ptr<ClockTimer> timer;
    std::mt19937_64 rng;
    std::optional<CycleInfo> cycle;
    QList<quint64> pendingIds;
    QList<Model> toSend;
};

EngineSettings EngineSettings::fromOptions(const Options& options, quint64 seed)
{
    EngineSettings settings;
    settings.pacing = options.pacing;
    settings.abOrder = options.abOrder;
    settings.users = options.users;
    settings.spawnRate = options.spawnRate;
    settings.runTime = options.runTime;
    settings.cycles = options.cycles;
    settings.waitHealthy = options.waitHealthy;
    settings.traceContext = options.traceContext;
    settings.seed = seed;
    return settings;
}

LoadEngine::LoadEngine(
    EngineSettings settings, PromptPool pool, RequestSender* sender, Clock* clock, QObject* parent)
    : QObject(parent)
    , m_settings(std::move(settings))
    , m_pool(std::move(pool))
    , m_sender(sender)
    , m_clock(clock)
    , m_healthTimer(clock->createTimer())
    , m_spawnTimer(clock->createTimer())
    , m_runTimer(clock->createTimer())
    , m_traceRng(std::random_device {}())
{
    connect(m_sender, &RequestSender::healthChecked, this, &LoadEngine::onHealthChecked);
    connect(m_sender, &RequestSender::requestFinished, this, &LoadEngine::onRequestFinished);
    connect(m_healthTimer.get(), &ClockTimer::timeout, m_sender, &RequestSender::probeHealth);
    connect(m_spawnTimer.get(), &ClockTimer::timeout, this, [this] { spawnUser(m_spawned); });
    connect(m_runTimer.get(), &ClockTimer::timeout, this, [this] { end(u"run time reached"_s); });
}

LoadEngine::~LoadEngine()
{
    // Our requests must not outlive us in a sender that others own.
    if (m_sender)
        m_sender->disconnect(this);
}

void LoadEngine::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

void LoadEngine::start()
{
    if (m_state == State::WaitingForAgent || m_state == State::Running)
        return;

    m_ending = false;
    ++m_starts;
    m_users.clear();
    m_spawned = 0;
    m_healthAttempts = 0;
    if (m_settings.runTime)
        m_runTimer->startAt(m_clock->nowNs() + m_settings.runTime->count() * NsPerMs);

    if (!m_settings.waitHealthy) {
        beginRun();
        return;
    }
    setState(State::WaitingForAgent);
    m_sender->probeHealth();
}

void LoadEngine::onHealthChecked(bool healthy, const QString& error)
{
    if (m_state != State::WaitingForAgent)
        return;

    ++m_healthAttempts;
    if (healthy) {
        Q_EMIT agentHealthy(m_healthAttempts);
        beginRun();
        return;
    }

    const qint64 firstMs = m_settings.healthRetryFirst.count();
    const int doublings = std::min(m_healthAttempts - 1, 30);
    const qint64 delayMs
        = std::min<qint64>(firstMs << doublings, m_settings.healthRetryMax.count());
    Q_EMIT healthWaiting(m_healthAttempts, error, delayMs);
    m_healthTimer->startAt(m_clock->nowNs() + delayMs * NsPerMs);
}

void LoadEngine::beginRun()
{
    setState(State::Running);
    m_gridStartNs = m_clock->nowNs();
    spawnUser(0);
}

void LoadEngine::spawnUser(int index)
{
    if (m_ending || index >= m_settings.users)
        return;

    const auto spawnIntervalNs = qint64(1e9 / m_settings.spawnRate);
    auto user = std::make_unique<User>();
    user->index = index;
    user->gridStartNs = m_gridStartNs + index * spawnIntervalNs;
    // Each start draws a new sequence: a run restarted by stop and start does not repeat
    // the prompts it began with.
    user->rng.seed(splitMix64(m_settings.seed + quint64(index) + m_starts * 0x9e3779b97f4a7c15ULL));
    user->timer = m_clock->createTimer();
    User& ref = *user;
    connect(user->timer.get(), &ClockTimer::timeout, this, [this, &ref] { onSlot(ref); });
    m_users.push_back(std::move(user));
    m_spawned = index + 1;
    qCDebug(lcEngine) << "user" << index << "spawned";

    if (m_spawned < m_settings.users)
        m_spawnTimer->startAt(m_gridStartNs + m_spawned * spawnIntervalNs);
    onSlot(ref);
}

void LoadEngine::onSlot(User& user)
{
    if (m_ending)
        return;

    const qint64 pacingNs = m_settings.pacing.count() * NsPerMs;
    const qint64 dueSlot = std::max<qint64>(0, (m_clock->nowNs() - user.gridStartNs) / pacingNs);
    // A timer that woke more than a whole period late (a suspended laptop) skips the slots
    // it slept through rather than firing them as a burst.
    if (user.nextSlot < dueSlot) {
        m_slotsSkipped += quint64(dueSlot - user.nextSlot);
        Q_EMIT skippedSlots(user.index, user.nextSlot, dueSlot - user.nextSlot,
            u"the process was not scheduled in time"_s);
    }

    const qint64 slot = std::max(user.nextSlot, dueSlot);
    user.nextSlot = slot + 1;
    if (userDone(user))
        return;
    if (user.cycle) {
        // Reported, with every later slot it overlaps, when the cycle ends.
        user.skippedSince = slot;
        return;
    }
    startCycle(user, slot, user.gridStartNs + slot * pacingNs);
    scheduleNextSlot(user);
}

void LoadEngine::scheduleNextSlot(User& user)
{
    if (m_ending || userDone(user))
        return;
    const qint64 pacingNs = m_settings.pacing.count() * NsPerMs;
    user.timer->startAt(user.gridStartNs + user.nextSlot * pacingNs);
}

void LoadEngine::startCycle(User& user, qint64 slot, qint64 scheduledNs)
{
    CycleInfo cycle;
    cycle.cycle = ++m_cycleCounter;
    cycle.user = user.index;
    cycle.slot = slot;
    cycle.triggered = slot < 0;
    cycle.startedNs = m_clock->nowNs();
    cycle.scheduledNs = scheduledNs;
    cycle.startedAt = m_clock->wallNow();
    cycle.prompt = m_pool.pick(user.rng);
    // Trace ids come from their own generator so that --seed repeats the prompt
    // sequence while every run still gets traces of its own.
    if (m_settings.traceContext)
        cycle.traceId = randomHex(m_traceRng, 32);
    user.cycle = cycle;
    ++user.cyclesStarted;
    Q_EMIT cycleStarted(cycle);
    // A slot connected to cycleStarted may have stopped the run, which closed this cycle.
    if (m_ending)
        return;

    // In parallel mode Model B goes out right after Model A; in sequential mode it goes
    // when A has finished. Either way B waits in toSend, so a sender that answers at
    // once still gets both halves of the pair.
    user.toSend = {Model::B};
    sendRequest(user, Model::A);
    if (m_settings.abOrder == AbOrder::Parallel && !user.toSend.isEmpty())
        sendRequest(user, user.toSend.takeFirst());
}

void LoadEngine::sendRequest(User& user, Model model)
{
    const CycleInfo& cycle = *user.cycle;
    RequestRecord record;
    record.id = ++m_requestCounter;
    record.user = user.index;
    record.cycle = cycle.cycle;
    record.triggered = cycle.triggered;
    record.promptId = cycle.prompt.id;
    record.group = cycle.prompt.group;
    record.description = cycle.prompt.description;
    record.message = cycle.prompt.text;
    record.model = model;
    record.endpoint = cycle.prompt.endpoint;
    record.workflow = cycle.prompt.workflow;
    record.startedAt = m_clock->wallNow();
    if (!cycle.traceId.isEmpty()) {
        record.traceId = cycle.traceId;
        record.spanId = randomHex(m_traceRng, 16);
    }

    user.pendingIds.append(record.id);
    ++m_inFlight;
    Q_EMIT requestStarted(record);
    // A slot connected to requestStarted may have stopped the run before the sender knew
    // of this request: it never leaves, and ends cancelled like the others.
    if (m_ending) {
        record.outcome = Outcome::Cancelled;
        record.error = tr("cancelled before it was sent");
        onRequestFinished(record);
        return;
    }
    m_sender->send(record);
}

void LoadEngine::onRequestFinished(const RequestRecord& record)
{
    if (record.user < 0 || record.user >= int(m_users.size()))
        return;
    User& user = *m_users[size_t(record.user)];
    if (!user.pendingIds.removeOne(record.id))
        return;

    --m_inFlight;
    if (user.cycle) {
        user.cycle->failures += isFailure(record.outcome) ? 1 : 0;
        user.cycle->cancelled += record.outcome == Outcome::Cancelled ? 1 : 0;
    }
    Q_EMIT requestFinished(record);

    if (!user.pendingIds.isEmpty() || !user.cycle)
        return;
    if (!user.toSend.isEmpty() && !m_ending) {
        sendRequest(user, user.toSend.takeFirst());
        return;
    }
    finishCycle(user);
}

void LoadEngine::finishCycle(User& user)
{
    const CycleInfo cycle = *user.cycle;
    user.cycle.reset();
    user.toSend.clear();
    ++m_cyclesCompleted;
    reportSlotsSkippedDuringCycle(user, cycle);
    Q_EMIT cycleFinished(cycle);
    if (!user.timer->isActive())
        scheduleNextSlot(user);
    checkAllDone();
}

qint64 LoadEngine::firstFreeSlot(const User& user) const
{
    // Every slot whose time has passed went by during the cycle; one due right now still
    // starts.
    const qint64 pacingNs = m_settings.pacing.count() * NsPerMs;
    const qint64 sinceGridNs = m_clock->nowNs() - user.gridStartNs;
    return std::max(user.nextSlot, (sinceGridNs + pacingNs - 1) / pacingNs);
}

quint64 LoadEngine::slotsSkipped() const
{
    quint64 skipped = m_slotsSkipped;
    for (const auto& user : m_users) {
        if (user->skippedSince >= 0)
            skipped += quint64(firstFreeSlot(*user) - user->skippedSince);
    }
    return skipped;
}

void LoadEngine::reportSlotsSkippedDuringCycle(User& user, const CycleInfo& cycle)
{
    if (user.skippedSince < 0)
        return;
    const qint64 firstFree = firstFreeSlot(user);
    const qint64 count = firstFree - user.skippedSince;
    const qint64 first = user.skippedSince;
    user.skippedSince = -1;
    user.nextSlot = firstFree;
    m_slotsSkipped += quint64(count);
    Q_EMIT skippedSlots(user.index, first, count,
        count == 1 ? u"cycle %1 was still running"_s.arg(cycle.cycle)
                   : u"cycle %1 was still running through them"_s.arg(cycle.cycle));
}

bool LoadEngine::userDone(const User& user) const
{
    return m_settings.cycles && user.cyclesStarted >= *m_settings.cycles;
}

void LoadEngine::checkAllDone()
{
    if (m_ending || !m_settings.cycles || m_spawned < m_settings.users)
        return;
    const bool allDone = std::all_of(m_users.cbegin(), m_users.cend(),
        [this](const auto& user) { return userDone(*user) && !user->cycle; });
    if (allDone)
        end(u"cycle limit reached"_s);
}

TriggerResult LoadEngine::triggerNow()
{
    if (m_state == State::WaitingForAgent)
        return {false, tr("the agent is not healthy yet; the first cycle starts when it is")};
    if (m_state != State::Running)
        return {false, tr("the engine is not running; start it first")};

    const User* busy = nullptr;
    for (const auto& user : m_users) {
        if (user->cycle) {
            busy = busy ? busy : user.get();
            continue;
        }
        if (userDone(*user))
            continue;
        startCycle(*user, -1, m_clock->nowNs());
        return {true, {}};
    }
    if (busy)
        return {false,
            tr("cycle %1 is still running; a user's cycles never overlap").arg(busy->cycle->cycle)};
    return {false, tr("every user has reached its cycle limit")};
}

void LoadEngine::continueNumberingAfter(quint64 lastCycle)
{
    m_cycleCounter = std::max(m_cycleCounter, lastCycle);
}

void LoadEngine::stop()
{
    if (m_state == State::Idle || m_state == State::Stopped)
        return;
    end(u"stopped"_s);
}

void LoadEngine::end(const QString& reason)
{
    if (m_ending)
        return;

    m_ending = true;
    m_healthTimer->stop();
    m_spawnTimer->stop();
    m_runTimer->stop();
    for (const auto& user : m_users)
        user->timer->stop();

    // The sender reports each cancelled request before cancelAll() returns, which also
    // closes the cycles they belonged to.
    if (m_sender)
        m_sender->cancelAll();
    for (const auto& user : m_users) {
        if (user->cycle && user->pendingIds.isEmpty())
            finishCycle(*user);
    }

    setState(State::Stopped);
    Q_EMIT finished(reason);
}

qint64 LoadEngine::nextSlotInNs() const
{
    qint64 next = -1;
    const auto consider = [&next](const ClockTimer& timer) {
        if (timer.isActive() && (next < 0 || timer.deadlineNs() < next))
            next = timer.deadlineNs();
    };
    const qint64 pacingNs = m_settings.pacing.count() * NsPerMs;
    for (const auto& user : m_users) {
        consider(*user->timer);
        // A user whose timer rests through a long cycle: the first slot it could start.
        if (user->skippedSince >= 0 && !m_ending) {
            const qint64 slotNs = user->gridStartNs + firstFreeSlot(*user) * pacingNs;
            if (next < 0 || slotNs < next)
                next = slotNs;
        }
    }
    if (m_state == State::Running)
        consider(*m_spawnTimer);
    return next < 0 ? -1 : std::max<qint64>(0, next - m_clock->nowNs());
}

} // namespace aimload
