#pragma once

#include "config/options.h"
#include "prompts/promptpool.h"

#include <QObject>
#include <QUrl>

#include <memory>

namespace aimload {

class AgentClient;
class Clock;
class EventLog;
class LoadEngine;
class SimulatedAgent;
class StatsAggregator;

// Everything one run needs, built from the options: the prompt pool, the simulated
// agent when asked for, the client, the engine, the statistics and the event log.
// Headless mode and the window both drive a session; neither builds these pieces itself.
class LoadSession : public QObject
{
    Q_OBJECT

public:
    explicit LoadSession(Options options, QObject* parent = nullptr);
    ~LoadSession() override;

    // Loads the pool, starts the simulated agent if asked; on failure returns false
    // with a one-line reason and sends nothing.
    bool prepare(QString* error);

    const Options& options() const { return m_options; }
    const PromptPool& pool() const { return m_pool; }
    QUrl agentUrl() const { return m_agentUrl; }
    quint64 seed() const { return m_seed; }
    QString startupLine() const;

    LoadEngine* engine() const { return m_engine; }
    AgentClient* client() const { return m_client; }
    StatsAggregator* stats() const { return m_stats; }
    EventLog* log() const { return m_log; }
    SimulatedAgent* simulator() const { return m_simulator.get(); }

private:
    bool startSimulator(QString* error);

    Options m_options;
    PromptPool m_pool;
    quint64 m_seed = 0;
    QUrl m_agentUrl;
    std::unique_ptr<SimulatedAgent> m_simulator;
    Clock* m_clock = nullptr;
    AgentClient* m_client = nullptr;
    LoadEngine* m_engine = nullptr;
    StatsAggregator* m_stats = nullptr;
    EventLog* m_log = nullptr;
};

} // namespace aimload
