#include "session/loadsession.h"

#include "agent/agentclient.h"
#include "config/duration.h"
#include "engine/clock.h"
#include "engine/loadengine.h"
#include "headless/eventlog.h"
#include "report/runreports.h"
#include "sim/simulatedagent.h"
#include "stats/statsaggregator.h"
#include "storage/journal.h"
#include "web/prometheusmetrics.h"
#include "web/statusserver.h"

#include <QDir>
#include <QHostAddress>
#include <QStandardPaths>
#include <QTimer>

#include <random>

using namespace Qt::StringLiterals;

namespace aimload {

LoadSession::LoadSession(Options options, QObject* parent)
    : QObject(parent)
    , m_options(std::move(options))
{ }

LoadSession::~LoadSession()
{
    // The engine goes first, so the requests it cancels find the client still there.
    delete m_engine;
    m_engine = nullptr;
}

bool LoadSession::prepare(QString* error)
{
    const QString poolPath
        = m_options.promptsFile.isEmpty() ? PromptPool::defaultPoolPath() : m_options.promptsFile;
    std::optional<PromptPool> pool = PromptPool::load(poolPath, error);
    if (!pool)
        return false;
    m_pool = std::move(*pool);

    m_seed = m_options.seed ? *m_options.seed : std::random_device {}();
    m_agentUrl = m_options.host;
    if (m_options.simulate && !startSimulator(error))
        return false;

    ClientSettings clientSettings;
    clientSettings.baseUrl = m_agentUrl;
    clientSettings.chatTimeout = m_options.chatTimeout;
    clientSettings.repairTimeout = m_options.repairTimeout;
    m_clock = new SystemClock(this);
    m_client = new AgentClient(clientSettings, this);
    m_engine = new LoadEngine(
        EngineSettings::fromOptions(m_options, m_seed), m_pool, m_client, m_clock, this);

    m_stats = new StatsAggregator(this);
    QStringList groups;
    for (const PromptGroup& group : m_pool.groups())
        groups.append(group.name);
    m_stats->setGroupOrder(groups);
    connect(m_engine, &LoadEngine::requestFinished, m_stats, &StatsAggregator::add);

    m_log = new EventLog(this);
    m_log->attach(m_engine, m_agentUrl.toString());

    const ReportTargets targets {m_options.csvPrefix, m_options.htmlFile, m_options.jsonFile};
    if (!targets.isEmpty()) {
        // Checked before anything is sent: a mistyped path fails now, not after a week.
        m_reports = new RunReports(targets, this);
        if (!m_reports->prepare(error))
            return false;
        m_reports->attach(
            m_engine, ReportRunInfo::fromOptions(m_options, m_pool, m_agentUrl, m_seed));
    }

    if (m_options.useDb)
        openJournal();
    return !m_options.webPort || startStatusServer(error);
}

bool LoadSession::startStatusServer(QString* error)
{
    m_metrics = new PrometheusMetrics(this);
    m_metrics->setAgentUrl(m_agentUrl);
    m_metrics->attach(m_engine);
    connect(
        m_client, &RequestSender::healthChecked, m_metrics, &PrometheusMetrics::recordHealthCheck);

    // aimload_agent_up must not go stale between cycles 12 minutes apart.
    m_healthTimer = new QTimer(this);
    m_healthTimer->setInterval(std::chrono::seconds(30));
    connect(m_healthTimer, &QTimer::timeout, m_client, &AgentClient::probeHealth);
    m_healthTimer->start();

    m_statusServer = new StatusServer(m_engine, m_stats, m_metrics, m_options.webToken, this);
    const QString host = m_options.webHost == u"localhost" ? u"127.0.0.1"_s : m_options.webHost;
    return m_statusServer->listen(QHostAddress(host), quint16(*m_options.webPort), error);
}

QString LoadSession::statusLine() const
{
    if (!m_statusServer)
        return {};
    const QString host
        = m_options.webHost.contains(u':') ? u"[%1]"_s.arg(m_options.webHost) : m_options.webHost;
    return tr("Status endpoint on http://%1:%2/ (/metrics, /api/stats, /healthz); control %3")
        .arg(host)
        .arg(m_statusServer->port())
        .arg(m_statusServer->controlEnabled() ? tr("enabled with a bearer token")
                                              : tr("off (no --web-token)"));
}

QString LoadSession::defaultDbPath(bool headless)
{
    if (headless)
        return u"/var/lib/aimload/aimload.db"_s;
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation))
        .filePath(u"aimload.db"_s);
}

void LoadSession::openJournal()
{
    const QString path
        = m_options.dbPath.isEmpty() ? defaultDbPath(m_options.headless) : m_options.dbPath;
    auto* journal = new Journal(this);
    QString error;
    if (!journal->open(path, &error)) {
        delete journal;
        m_warnings.append(tr("%1; the run goes on in memory only").arg(error));
        return;
    }
    m_journal = journal;
    continueOrBeginRun();

    connect(m_engine, &LoadEngine::requestFinished, m_journal,
        [this](const RequestRecord& record) { m_journal->record(m_runId, record); });
    connect(m_engine, &LoadEngine::skippedSlots, m_journal,
        [this](int user, qint64 firstSlot, qint64 count, const QString& reason) {
            m_journal->recordSkippedSlots(m_runId, user, firstSlot, count, reason);
        });
    connect(m_engine, &LoadEngine::finished, m_journal,
        [this](const QString& reason) { m_journal->endRun(m_runId, reason); });
    // Started again (or continued by a new process): the run has no end until it stops.
    connect(m_engine, &LoadEngine::stateChanged, m_journal, [this](LoadEngine::State state) {
        if (state == LoadEngine::State::WaitingForAgent || state == LoadEngine::State::Running)
            m_journal->resumeRun(m_runId);
    });
    connect(m_journal, &Journal::failed, m_log, [this](const QString& error) {
        m_log->add(EventLog::Level::Warning, tr("%1; the run goes on in memory only").arg(error));
    });
}

// A restarted process continues the last run against the same agent, so weeks of history
// stay one run across restarts and crashes; --fresh starts a new one.
void LoadSession::continueOrBeginRun()
{
    const QString agent = m_options.simulate ? u"simulated"_s : m_agentUrl.toString();
    const QList<RunInfo> runs = m_journal->runs();
    if (!m_options.fresh && !runs.isEmpty() && runs.first().agentUrl == agent) {
        m_runId = runs.first().id;
        quint64 lastCycle = 0;
        m_journal->forEachRecord(
            m_runId,
            [this, &lastCycle](const RequestRecord& record) {
                m_stats->add(record);
                lastCycle = std::max(lastCycle, record.cycle);
            },
            Journal::RecordParts::Statistics);
        m_engine->continueNumberingAfter(lastCycle);
        m_continuedRequests = m_stats->total().requests + m_stats->total().cancelled;
        return;
    }

    RunInfo run;
    run.startedAt = QDateTime::currentDateTimeUtc();
    run.agentUrl = agent;
    run.options = startupLine();
    run.poolSummary = m_pool.summary();
    run.seed = m_seed;
    m_runId = m_journal->beginRun(run);
}

bool LoadSession::startSimulator(QString* error)
{
    m_simulator = std::make_unique<SimulatedAgent>();
    m_simulator->setSpeed(m_options.simSpeed);
    // One knob for both kinds of simulated failure: HTTP 500s and /repair's
    // "success": false.
    m_simulator->setFailureRate(m_options.simFailureRate);
    m_simulator->setAgentFailureRate(m_options.simFailureRate);
    m_simulator->setSeed(m_seed ^ 0x5eed5eedULL);
    if (!m_simulator->listen(QHostAddress::LocalHost, 0)) {
        *error = tr("--simulate: cannot listen on 127.0.0.1: %1").arg(m_simulator->errorString());
        return false;
    }
    m_agentUrl = m_simulator->url();
    return true;
}

QString LoadSession::journalLine() const
{
    if (!m_journal)
        return m_options.useDb ? tr("Journal off: %1").arg(m_warnings.join(u"; "_s))
                               : tr("Journal off (--no-db): the run is kept in memory only");
    if (m_continuedRequests >= 0)
        return tr("Journal %1: continuing run %2 with %3 earlier requests (--fresh starts a new "
                  "run)")
            .arg(m_journal->path())
            .arg(m_runId)
            .arg(m_continuedRequests);
    return tr("Journal %1: run %2").arg(m_journal->path()).arg(m_runId);
}

QString LoadSession::startupLine() const
{
    return u"agent %1%2, pacing %3, A/B %4, %5 user(s), seed %6"_s.arg(m_agentUrl.toString(),
        m_options.simulate ? u" (simulated, speed %1)"_s.arg(m_options.simSpeed) : QString(),
        formatDuration(m_options.pacing),
        m_options.abOrder == AbOrder::Sequential ? u"sequential"_s : u"parallel"_s,
        QString::number(m_options.users), QString::number(m_seed));
}

} // namespace aimload
