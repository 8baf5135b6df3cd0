#pragma once

#include "config/options.h"
#include "prompts/promptpool.h"

#include <QObject>

class QTimer;
#include <QUrl>

#include <memory>

namespace aimload {

class AgentClient;
class Clock;
class EventLog;
class Journal;
class PrometheusMetrics;
class RunReports;
class StatusServer;
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
    // The journal, or nullptr when it is off or could not be opened.
    Journal* journal() const { return m_journal; }
    qint64 runId() const { return m_runId; }
    // The status endpoint, or nullptr without --web-port.
    StatusServer* statusServer() const { return m_statusServer; }
    // True when the session itself probes GET /health every 30 s (for the metrics): a
    // window then shows those results instead of probing as well.
    bool probesHealth() const { return m_healthTimer != nullptr; }
    PrometheusMetrics* metrics() const { return m_metrics; }
    // The reports asked for with --csv, --html and --json, or nullptr.
    RunReports* reports() const { return m_reports; }
    QString statusLine() const;
    // Problems that did not stop the run (an unusable journal), one line each.
    const QStringList& warnings() const { return m_warnings; }

    // "Journal /var/lib/aimload/aimload.db: run 4" or how an earlier run continues.
    QString journalLine() const;

    static QString defaultDbPath(bool headless);

private:
    bool startSimulator(QString* error);
    void openJournal();
    bool startStatusServer(QString* error);
    void continueOrBeginRun();

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
    Journal* m_journal = nullptr;
    PrometheusMetrics* m_metrics = nullptr;
    StatusServer* m_statusServer = nullptr;
    RunReports* m_reports = nullptr;
    QTimer* m_healthTimer = nullptr;
    qint64 m_runId = -1;
    qint64 m_continuedRequests = -1; // earlier requests of a continued run, or -1
    QStringList m_warnings;
};

} // namespace aimload
