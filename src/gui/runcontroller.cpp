#include "runcontroller.h"

#include "agent/agentclient.h"
#include "guilogging.h"
#include "report/runreports.h"
#include "session/loadsession.h"
#include "stats/statsaggregator.h"
#include "storage/journal.h"

#include <QSet>

using namespace Qt::StringLiterals;

namespace aimload {

RunController::RunController(QObject* parent)
    : QObject(parent)
    , m_stats(new StatsAggregator(this))
{
    m_monotonic.start();
    m_probeTimer.setInterval(HealthProbeInterval);
    connect(&m_probeTimer, &QTimer::timeout, this, [this] {
        if (!m_session || !m_session->probesHealth())
            probeHealth();
    });
    m_probeTimer.start();
}

RunController::~RunController()
{
    // Whoever listens may already be half destroyed: the session ends silently.
    if (m_session) {
        m_session->engine()->disconnect(this);
        m_session->client()->disconnect(this);
        m_session->log()->disconnect(this);
        m_session->engine()->stop();
    }
}

bool RunController::setOptions(const Options& options, QString* error)
{
    const bool wasActive = isActive();
    dropSession();
    m_options = options;
    setHealth(Health::Unknown, {});

    auto* session = new LoadSession(options, this);
    if (!session->prepare(error)) {
        qCWarning(lcGui) << "cannot prepare a session:" << *error;
        delete session;
        Q_EMIT sessionChanged(nullptr);
        Q_EMIT stateChanged(state());
        return false;
    }

    attach(session);
    announce(*session);
    restoreHistory(*session);
    Q_EMIT sessionChanged(session);
    Q_EMIT stateChanged(state());
    Q_EMIT sessionWarnings(session->warnings());
    probeHealth();
    if (wasActive)
        start();
    return true;
}

void RunController::attach(LoadSession* session)
{
    m_session = session;
    m_agentHistory.append({QDateTime::currentDateTimeUtc(), session->agentUrl()});
    extendGroupOrder(*session);

    const LoadEngine* engine = session->engine();
    connect(engine, &LoadEngine::stateChanged, this, &RunController::stateChanged);
    connect(engine, &LoadEngine::healthWaiting, this, &RunController::healthWaiting);
    connect(engine, &LoadEngine::cycleStarted, this, &RunController::cycleStarted);
    connect(engine, &LoadEngine::cycleFinished, this, [this] { ++m_cyclesCompleted; });
    connect(engine, &LoadEngine::skippedSlots, this,
        [this](int, qint64, qint64 count) { m_slotsSkipped += quint64(count); });
    connect(engine, &LoadEngine::requestStarted, this, &RunController::onRequestStarted);
    connect(engine, &LoadEngine::requestFinished, this, &RunController::onRequestFinished);
    connect(engine, &LoadEngine::finished, this, &RunController::runFinished);
    connect(session->client(), &AgentClient::healthChecked, this, &RunController::onHealthChecked);
    connect(session->log(), &EventLog::lineAdded, this, &RunController::logLine);
}

void RunController::announce(const LoadSession& session)
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const Options& options = session.options();
    Q_EMIT logLine(EventLog::Level::Info, now, tr("Settings: %1").arg(session.startupLine()));
    Q_EMIT logLine(EventLog::Level::Info, now,
        tr("Prompt pool %1: %2")
            .arg(options.promptsFile.isEmpty() ? tr("(built in)") : options.promptsFile,
                session.pool().summary()));
    Q_EMIT logLine(EventLog::Level::Info, now, session.journalLine());
    if (const QString status = session.statusLine(); !status.isEmpty())
        Q_EMIT logLine(EventLog::Level::Info, now, status);
    for (const QString& warning : session.warnings())
        Q_EMIT logLine(EventLog::Level::Warning, now, warning);
}

// A run the journal continued began before this window opened: its requests so far are
// shown as if this window had seen them. Each run is restored once, so a session replaced
// by new settings that continues the same run adds nothing twice.
void RunController::restoreHistory(const LoadSession& session)
{
    const Journal* journal = session.journal();
    if (!journal || session.runId() < 0)
        return;
    const QString key = u"%1#%2"_s.arg(journal->path()).arg(session.runId());
    if (m_restoredRuns.contains(key))
        return;
    m_restoredRuns.append(key);

    for (const RunInfo& run : journal->runs()) {
        if (run.id == session.runId()
            && (!m_runStartedAt.isValid() || run.startedAt < m_runStartedAt))
            m_runStartedAt = run.startedAt;
    }
    QSet<quint64> cycles;
    // Answers stay in the journal: the request pane reads one when it is shown.
    journal->forEachRecord(
        session.runId(),
        [this, &cycles](const RequestRecord& record) {
            m_stats->add(record);
            cycles.insert(record.cycle);
            Q_EMIT requestRestored(record);
        },
        Journal::RecordParts::WithoutBody);
    m_cyclesCompleted += quint64(cycles.size());
    m_slotsSkipped += quint64(journal->skippedSlotCount(session.runId()));
    if (!cycles.isEmpty())
        Q_EMIT statsChanged();
}

void RunController::writeReports()
{
    RunReports* reports = m_session ? m_session->reports() : nullptr;
    if (!reports)
        return;
    QStringList errors;
    QStringList written;
    reports->write(true, &errors, &written);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (const QString& file : std::as_const(written))
        Q_EMIT logLine(EventLog::Level::Info, now, tr("Wrote %1").arg(file));
    for (const QString& error : std::as_const(errors)) {
        qCWarning(lcGui) << "report not written:" << error;
        Q_EMIT logLine(EventLog::Level::Error, now, error);
    }
}

void RunController::shutdown()
{
    stop();
    writeReports();
}

void RunController::dropSession()
{
    if (!m_session)
        return;

    // Stopping while still connected records the requests it cancels.
    m_session->engine()->stop();
    writeReports();
    m_session->engine()->disconnect(this);
    m_session->client()->disconnect(this);
    m_session->log()->disconnect(this);
    m_inFlight.clear();
    m_probePending = false;
    // Later, not now: this may run inside a slot that one of the session's objects called.
    m_session->deleteLater();
    m_session = nullptr;
}

void RunController::extendGroupOrder(const LoadSession& session)
{
    for (const PromptGroup& group : session.pool().groups()) {
        if (!m_groupOrder.contains(group.name))
            m_groupOrder.append(group.name);
    }
    m_stats->setGroupOrder(m_groupOrder);
}

bool RunController::canStart() const
{
    return m_session && !isActive();
}

bool RunController::isActive() const
{
    const LoadEngine::State current = state();
    return current == LoadEngine::State::WaitingForAgent || current == LoadEngine::State::Running;
}

LoadEngine::State RunController::state() const
{
    return m_session ? m_session->engine()->state() : LoadEngine::State::Idle;
}

void RunController::start()
{
    if (!canStart())
        return;
    qCDebug(lcGui) << "starting the run against" << m_session->agentUrl();
    m_session->engine()->start();
}

void RunController::stop()
{
    if (m_session)
        m_session->engine()->stop();
}

TriggerResult RunController::triggerNow()
{
    if (!m_session)
        return {false, tr("the settings need fixing before anything can be sent")};
    return m_session->engine()->triggerNow();
}

void RunController::clearResults()
{
    delete m_stats;
    m_stats = new StatsAggregator(this);
    m_stats->setGroupOrder(m_groupOrder);
    m_cyclesCompleted = 0;
    m_slotsSkipped = 0;
    Q_EMIT resultsCleared();
    Q_EMIT statsChanged();
}

void RunController::probeHealth()
{
    // While the engine waits for the agent it probes on its own schedule.
    if (!m_session || m_probePending || state() == LoadEngine::State::WaitingForAgent)
        return;
    m_probePending = true;
    m_session->client()->probeHealth();
}

void RunController::onHealthChecked(bool healthy, const QString& error)
{
    m_probePending = false;
    setHealth(healthy ? Health::Healthy : Health::Unhealthy, error);
}

void RunController::setHealth(Health health, const QString& error)
{
    if (health == m_health && error == m_healthError)
        return;
    m_health = health;
    m_healthError = error;
    Q_EMIT healthChanged(health, error);
}

void RunController::onRequestStarted(const RequestRecord& record)
{
    m_inFlight.insert(record.id, m_monotonic.elapsed());
    Q_EMIT requestStarted(record);
}

void RunController::onRequestFinished(const RequestRecord& record)
{
    m_inFlight.remove(record.id);
    m_stats->add(record);
    Q_EMIT requestFinished(record);
    Q_EMIT statsChanged();
    if (isFailure(record.outcome))
        probeHealth();
}

qint64 RunController::requestsOk() const
{
    const StatsRow total = m_stats->total();
    return total.requests - total.failures;
}

qint64 RunController::requestsFailed() const
{
    return m_stats->total().failures;
}

qint64 RunController::requestsCancelled() const
{
    return m_stats->total().cancelled;
}

qint64 RunController::longestInFlightMs() const
{
    if (m_inFlight.isEmpty())
        return 0;
    const qint64 oldest = *std::min_element(m_inFlight.cbegin(), m_inFlight.cend());
    return m_monotonic.elapsed() - oldest;
}

qint64 RunController::nextCycleInMs() const
{
    if (state() != LoadEngine::State::Running)
        return -1;
    const qint64 ns = m_session->engine()->nextSlotInNs();
    return ns < 0 ? -1 : ns / 1'000'000;
}

std::optional<QByteArray> RunController::journalledBody(const RequestRecord& record) const
{
    const Journal* journal = m_session ? m_session->journal() : nullptr;
    if (!journal || m_session->runId() < 0)
        return std::nullopt;
    return journal->bodyHead(m_session->runId(), record);
}

QUrl RunController::agentUrlAt(const QDateTime& time) const
{
    for (auto entry = m_agentHistory.crbegin(); entry != m_agentHistory.crend(); ++entry) {
        if (entry->first <= time)
            return entry->second;
    }
    return m_agentHistory.isEmpty() ? m_options.host : m_agentHistory.constFirst().second;
}

} // namespace aimload
