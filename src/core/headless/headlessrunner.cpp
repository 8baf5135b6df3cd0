#include "headless/headlessrunner.h"

#include "agent/agentclient.h"
#include "config/duration.h"
#include "engine/clock.h"
#include "engine/loadengine.h"
#include "headless/eventlog.h"
#include "headless/signalwatcher.h"
#include "prompts/promptpool.h"
#include "sim/simulatedagent.h"
#include "stats/statsaggregator.h"

#include <QCoreApplication>
#include <QHostAddress>

#include <cstdio>
#include <random>

using namespace Qt::StringLiterals;

namespace aimload {

HeadlessRunner::HeadlessRunner(Options options, QObject* parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_out(stdout)
{ }

HeadlessRunner::~HeadlessRunner() = default;

bool HeadlessRunner::prepare(QString* error)
{
    const QString poolPath
        = m_options.promptsFile.isEmpty() ? PromptPool::defaultPoolPath() : m_options.promptsFile;
    std::optional<PromptPool> pool = PromptPool::load(poolPath, error);
    if (!pool)
        return false;

    const quint64 seed = m_options.seed ? *m_options.seed : std::random_device {}();
    m_agentUrl = m_options.host;
    if (m_options.simulate) {
        m_simulator = std::make_unique<SimulatedAgent>();
        m_simulator->setSpeed(m_options.simSpeed);
        m_simulator->setFailureRate(m_options.simFailureRate);
        m_simulator->setSeed(seed ^ 0x5eed5eedULL);
        if (!m_simulator->listen(QHostAddress::LocalHost, 0)) {
            *error
                = u"--simulate: cannot listen on 127.0.0.1: %1"_s.arg(m_simulator->errorString());
            return false;
        }
        m_agentUrl = m_simulator->url();
    }

    ClientSettings clientSettings;
    clientSettings.baseUrl = m_agentUrl;
    clientSettings.chatTimeout = m_options.chatTimeout;
    clientSettings.repairTimeout = m_options.repairTimeout;
    m_clock = new SystemClock(this);
    m_client = new AgentClient(clientSettings, this);
    m_engine = new LoadEngine(
        EngineSettings::fromOptions(m_options, seed), *pool, m_client, m_clock, this);
    m_stats = new StatsAggregator(this);
    QStringList groups;
    for (const PromptGroup& group : pool->groups())
        groups.append(group.name);
    m_stats->setGroupOrder(groups);
    m_log = new EventLog(this);
    m_log->attach(m_engine, m_agentUrl.toString());
    m_signals = new SignalWatcher(this);

    connect(m_engine, &LoadEngine::requestFinished, m_stats, &StatsAggregator::add);
    connect(m_log, &EventLog::lineAdded, this,
        [this](EventLog::Level, const QDateTime&, const QString& text) { printLine(text); });
    connect(m_engine, &LoadEngine::finished, this, &HeadlessRunner::onFinished);
    connect(m_signals, &SignalWatcher::terminationRequested, this, &HeadlessRunner::onTermination);

    printLine(u"aimload %1 headless: agent %2%3, pacing %4, A/B %5, %6 user(s), seed %7"_s.arg(
        QString::fromLatin1(AIMLOAD_VERSION), m_agentUrl.toString(),
        m_options.simulate ? u" (simulated, speed %1)"_s.arg(m_options.simSpeed) : QString(),
        formatDuration(m_options.pacing),
        m_options.abOrder == AbOrder::Sequential ? u"sequential"_s : u"parallel"_s,
        QString::number(m_options.users), QString::number(seed)));
    printLine(u"Loaded prompt pool %1: %2"_s.arg(
        m_options.promptsFile.isEmpty() ? u"(built in)"_s : m_options.promptsFile,
        pool->summary()));
    return true;
}

void HeadlessRunner::start()
{
    if (m_options.waitHealthy)
        printLine(
            u"Waiting for the agent at %1 to answer GET /health"_s.arg(m_agentUrl.toString()));
    m_engine->start();
}

void HeadlessRunner::printLine(const QString& text)
{
    m_out << QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs) << u' ' << text
          << Qt::endl;
}

void HeadlessRunner::onTermination(const QString& signalName)
{
    printLine(u"Received %1: stopping (a second signal exits at once)"_s.arg(signalName));
    m_engine->stop();
}

void HeadlessRunner::onFinished(const QString& reason)
{
    printLine(u"Run ended: %1. %2 cycles, %3 slots skipped."_s.arg(reason,
        QString::number(m_engine->cyclesCompleted()), QString::number(m_engine->slotsSkipped())));
    m_out << u"\nSummary (latency in ms; percentiles exact, nearest rank)\n"_s
          << m_stats->summaryTable() << Qt::flush;

    m_exitCode = (m_options.exitCodeOnError != 0 && m_stats->failures() > 0)
        ? m_options.exitCodeOnError
        : 0;
    Q_EMIT done(m_exitCode);
}

} // namespace aimload
