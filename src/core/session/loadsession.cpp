#include "session/loadsession.h"

#include "agent/agentclient.h"
#include "config/duration.h"
#include "engine/clock.h"
#include "engine/loadengine.h"
#include "headless/eventlog.h"
#include "sim/simulatedagent.h"
#include "stats/statsaggregator.h"

#include <QHostAddress>

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
    return true;
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

QString LoadSession::startupLine() const
{
    return u"agent %1%2, pacing %3, A/B %4, %5 user(s), seed %6"_s.arg(m_agentUrl.toString(),
        m_options.simulate ? u" (simulated, speed %1)"_s.arg(m_options.simSpeed) : QString(),
        formatDuration(m_options.pacing),
        m_options.abOrder == AbOrder::Sequential ? u"sequential"_s : u"parallel"_s,
        QString::number(m_options.users), QString::number(m_seed));
}

} // namespace aimload
