#pragma once

#include "config/options.h"

#include <QObject>
#include <QTextStream>

#include <memory>

namespace aimload {

class AgentClient;
class Clock;
class EventLog;
class LoadEngine;
class SignalWatcher;
class SimulatedAgent;
class StatsAggregator;

// The whole headless run: pool, optional simulated agent, client, engine, log on
// stdout, summary at the end, and a clean exit on SIGTERM or SIGINT.
class HeadlessRunner : public QObject
{
    Q_OBJECT

public:
    explicit HeadlessRunner(Options options, QObject* parent = nullptr);
    ~HeadlessRunner() override;

    // Builds everything; on failure returns false with a one-line reason.
    bool prepare(QString* error);
    void start();
    // The process exit code once the run has ended.
    int exitCode() const { return m_exitCode; }

Q_SIGNALS:
    void done(int exitCode);

private:
    void printLine(const QString& text);
    void onTermination(const QString& signalName);
    void onFinished(const QString& reason);

    Options m_options;
    QTextStream m_out;
    std::unique_ptr<SimulatedAgent> m_simulator;
    Clock* m_clock = nullptr;
    AgentClient* m_client = nullptr;
    LoadEngine* m_engine = nullptr;
    StatsAggregator* m_stats = nullptr;
    EventLog* m_log = nullptr;
    SignalWatcher* m_signals = nullptr;
    QUrl m_agentUrl;
    int m_exitCode = 0;
};

} // namespace aimload
