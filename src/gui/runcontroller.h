#pragma once

#include "agent/requestrecord.h"
#include "config/options.h"
#include "engine/loadengine.h"
#include "headless/eventlog.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QTimer>
#include <QUrl>

#include <optional>

#include <utility>

namespace aimload {

class LoadSession;
class StatsAggregator;

// Drives the window's LoadSession the way headless mode drives its own, and keeps what
// the window shows across sessions: applying new settings replaces the session, but the
// statistics and counters carry on. It touches no widget; the window listens to it.
class RunController : public QObject
{
    Q_OBJECT

public:
    enum class Health
    {
        Unknown,
        Healthy,
        Unhealthy
    };
    Q_ENUM(Health)

    static constexpr std::chrono::seconds HealthProbeInterval {30};

    explicit RunController(QObject* parent = nullptr);
    ~RunController() override;

    // Stops the current run, replaces the session with one built from options and, when
    // a run was going, starts it again. On failure there is no session until the next
    // call, *error says why, and the statistics so far stay.
    bool setOptions(const Options& options, QString* error);
    const Options& options() const { return m_options; }
    LoadSession* session() const { return m_session; }
    StatsAggregator* stats() const { return m_stats; }
    QStringList groups() const { return m_groupOrder; } // of every session so far

    bool canStart() const;
    bool isActive() const; // waiting for the agent or running
    LoadEngine::State state() const;
    void start();
    void stop();
    TriggerResult triggerNow();
    void clearResults();
    // Ends the run for good: stops it and writes the reports the options asked for.
    void shutdown();

    Health health() const { return m_health; }
    QString healthError() const { return m_healthError; }
    void probeHealth();

    quint64 cyclesCompleted() const { return m_cyclesCompleted; }
    quint64 slotsSkipped() const { return m_slotsSkipped; }
    qint64 requestsOk() const;
    qint64 requestsFailed() const;
    qint64 requestsCancelled() const;
    int requestsInFlight() const { return int(m_inFlight.size()); }
    qint64 longestInFlightMs() const;
    qint64 nextCycleInMs() const; // -1 when no cycle is scheduled
    // When the run began: before this window opened when the journal continued it.
    QDateTime runStartedAt() const { return m_runStartedAt; }

    // The agent's base URL as it was at that time, for requests of earlier sessions.
    QUrl agentUrlAt(const QDateTime& time) const;
    // The head of a request's answer as the current run's journal kept it; nullopt without
    // a journal or when the request is not in it.
    std::optional<QByteArray> journalledBody(const RequestRecord& record) const;

Q_SIGNALS:
    void sessionChanged(aimload::LoadSession* session);
    void stateChanged(aimload::LoadEngine::State state);
    void healthChanged(aimload::RunController::Health health, const QString& error);
    void healthWaiting(int attempt, const QString& error, qint64 retryInMs);
    void cycleStarted(const aimload::CycleInfo& cycle);
    void requestStarted(const aimload::RequestRecord& record);
    void requestFinished(const aimload::RequestRecord& record);
    // A request of the journal's run from before this window opened.
    void requestRestored(const aimload::RequestRecord& record);
    // Problems that did not stop the session, such as a journal that cannot be written.
    void sessionWarnings(const QStringList& warnings);
    void statsChanged();
    void resultsCleared();
    void logLine(aimload::EventLog::Level level, const QDateTime& time, const QString& text);
    void runFinished(const QString& reason);

private:
    void attach(LoadSession* session);
    void dropSession();
    void announce(const LoadSession& session);
    void restoreHistory(const LoadSession& session);
    void writeReports();
    void onHealthChecked(bool healthy, const QString& error);
    void onRequestStarted(const RequestRecord& record);
    void onRequestFinished(const RequestRecord& record);
    void onProbeTimer();
    void setHealth(Health health, const QString& error);
    void extendGroupOrder(const LoadSession& session);

    Options m_options;
    LoadSession* m_session = nullptr;
    StatsAggregator* m_stats = nullptr;
    QStringList m_groupOrder;
    QList<std::pair<QDateTime, QUrl>> m_agentHistory; // when each session began, its agent
    QStringList m_restoredRuns; // "journal path#run id" already shown
    QDateTime m_runStartedAt;
    QTimer m_probeTimer;
    bool m_probePending = false;
    Health m_health = Health::Unknown;
    QString m_healthError;
    QElapsedTimer m_monotonic;
    QHash<quint64, qint64> m_inFlight; // request id -> m_monotonic ms when it started
    quint64 m_cyclesCompleted = 0;
    quint64 m_slotsSkipped = 0;
};

} // namespace aimload
