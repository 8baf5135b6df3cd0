#pragma once

#include "report/activitytimeline.h"
#include "report/cyclestartdelay.h"
#include "report/latencyhistogram.h"
#include "report/reporttypes.h"
#include "stats/statsaggregator.h"

#include <QHash>
#include <QObject>
#include <QTimer>

#include <chrono>
#include <deque>
#include <memory>

namespace aimload {

class LoadEngine;
class RequestCsvLog;
struct CycleInfo;

// Keeps what the CSV, HTML and JSON reports need while a run goes on, in bounded memory:
// the statistics (exact percentiles cost 8 bytes a request), failures grouped Locust's
// way, a history of statistics snapshots, a binned timeline and latency histograms.
// Request bodies are never kept; each finished request goes to the request log's side
// file when one is open.
//
// Names follow Locust's, as the Locust file aimload replaces named its requests: type
// "POST", name "<group> (Model A)" or "<group> (Model B)", so each group and each model
// has its own line and old and new CSVs line up.
//
// The recorder has its own StatsAggregator rather than the session's: a snapshot taken in
// addRecord() then always includes the record that caused it, whatever the order in which
// the engine's receivers are called.
class ReportRecorder : public QObject
{
    Q_OBJECT

public:
    static constexpr qsizetype DefaultHistoryLimit = 10000;
    static constexpr qsizetype FailureKindLimit = 1000;
    static constexpr qint64 MinSnapshotSpacingMs = 1000;

    explicit ReportRecorder(QObject* parent = nullptr);
    ~ReportRecorder() override;

    // Follows an engine: its requests, cycles, skipped slots, the start (when it begins to
    // run) and the end of its run.
    void attach(LoadEngine* engine);

    // A snapshot at least this often while running (default 60 s; zero turns it off).
    void setHeartbeatInterval(std::chrono::milliseconds interval);
    // The most snapshots kept. Beyond it every other older snapshot is dropped, so a run of
    // weeks keeps its whole span at a coarser step; totals are cumulative and stay exact.
    void setHistoryLimit(qsizetype snapshots);
    // Appends every finished request to partialPath from now on (RequestCsvLog).
    bool openRequestLog(const QString& partialPath, QString* error);
    RequestCsvLog* requestLog() const { return m_requestLog.get(); }
    // Deletes the request log's side file and stops logging: once the final file exists.
    void discardRequestLog();

    const ReportRunInfo& runInfo() const { return m_info; }
    const RunCounts& counts() const { return m_counts; }
    const StatsAggregator& stats() const { return m_stats; }
    bool isRunning() const { return m_running; }
    QDateTime lastRequestAt() const;

    // Locust's statistics lines: one per name, then "Aggregated"; Requests/s and
    // Failures/s over the run so far, as Locust's stats CSV has them. With model totals,
    // "Model A" and "Model B" lines come before "Aggregated" (not a Locust line).
    QList<LocustRow> statsRows(bool withModelTotals = false) const;
    LocustRow locustRow(const StatsRow& row) const;
    // Most frequent first.
    QList<FailureEntry> failures() const;
    const QList<HistorySnapshot>& history() const { return m_history; }
    const ActivityTimeline& timeline() const { return m_timeline; }
    const LatencyHistogram& histogram(Model model) const;
    // How late the scheduled cycles started after their grid points.
    const CycleStartDelay& cycleStartDelay() const { return m_cycleStartDelay; }
    // The span over which a snapshot's Requests/s and Failures/s are averaged: the pacing,
    // at least 10 s. Locust uses 10 s, which at a request every few minutes reads 0.
    std::chrono::milliseconds rateWindow() const;

    static QString requestType(); // "POST"
    static QString requestName(const QString& group, Model model); // "simple_chat (Model A)"
    static QString aggregatedName(); // "Aggregated"

public Q_SLOTS:
    void setRunInfo(const aimload::ReportRunInfo& info);
    // Stamps the start (unless the run info has one) and starts the heartbeat. After a
    // finishRun() it resumes: the reports keep covering everything since the first start.
    void startRun();
    void addRecord(const aimload::RequestRecord& record);
    void addFinishedCycle(const aimload::CycleInfo& cycle);
    void addSkippedSlots(int user, qint64 firstSlot, qint64 count, const QString& reason);
    // Stamps the end, takes a last snapshot and stops the heartbeat. A second call (until
    // the next startRun()) does nothing, so a writer may call it again to be sure.
    void finishRun(const QString& reason);
    void takeSnapshot(const QDateTime& at);

private:
    struct RecentRequest
    {
        qint64 atMs = 0;
        QString name;
        bool failed = false;
    };

    void scheduleSnapshot(qint64 atMs);
    void snapshotAt(qint64 atMs);
    void thinHistory();
    void addFailure(const RequestRecord& record);
    qint64 runStartMs() const;

    ReportRunInfo m_info;
    RunCounts m_counts;
    StatsAggregator m_stats;
    ActivityTimeline m_timeline;
    std::array<LatencyHistogram, 2> m_histograms;
    CycleStartDelay m_cycleStartDelay;
    QHash<QString, FailureEntry> m_failures;
    QList<HistorySnapshot> m_history;
    std::deque<RecentRequest> m_recent;
    std::unique_ptr<RequestCsvLog> m_requestLog;
    QTimer m_heartbeat;
    QTimer m_pendingSnapshot;
    qsizetype m_historyLimit = DefaultHistoryLimit;
    qint64 m_firstRequestMs = -1;
    qint64 m_lastRequestMs = -1;
    qint64 m_lastSnapshotMs = -1;
    qint64 m_lastRequestSnapshotMs = -1;
    qint64 m_pendingMs = -1;
    bool m_running = false;
    bool m_finished = false;
};

} // namespace aimload
