#pragma once

#include "agent/requestrecord.h"
#include "config/options.h"

#include <QDateTime>
#include <QList>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <array>
#include <chrono>
#include <cmath>
#include <optional>

namespace aimload {

class PromptPool;

// Locust's percentile columns, in its order.
inline constexpr std::array<double, 11> LocustPercentiles {
    50.0, 66.0, 75.0, 80.0, 90.0, 95.0, 98.0, 99.0, 99.9, 99.99, 100.0};

// Locust's column name for a percentile: "50%", "99.9%", "100%".
QString locustPercentileName(double p);

// What the reports say about a run besides its statistics.
struct ReportRunInfo
{
    QDateTime startedAt; // UTC; invalid until the run starts
    QDateTime endedAt; // UTC; invalid while the run goes on
    QString endReason; // "cycle limit reached", "run time reached", "stopped"
    QUrl agentUrl;
    bool simulated = false;
    std::chrono::milliseconds pacing {0};
    AbOrder abOrder = AbOrder::Sequential;
    int users = 0;
    std::optional<int> cycleLimit;
    std::optional<std::chrono::milliseconds> runTimeLimit;
    quint64 seed = 0;
    QString poolSource; // the prompts file; empty for the built-in pool
    QString poolSummary; // PromptPool::summary()
    QStringList groups; // in pool order

    static ReportRunInfo fromOptions(
        const Options& options, const PromptPool& pool, const QUrl& agentUrl, quint64 seed);
    // The agent URL as reports show it: without user name or password.
    QString agentUrlText() const;
};

// What a run counted that the statistics do not hold.
struct RunCounts
{
    qint64 cyclesCompleted = 0;
    qint64 cyclesTriggered = 0;
    qint64 cyclesWithFailures = 0;
    qint64 slotsSkipped = 0;
    qint64 requestsCancelled = 0;
};

// One line of Locust's failures table: the requests of one name that failed the same way.
struct FailureEntry
{
    QString method;
    QString name;
    QString group;
    Model model = Model::A;
    QString error;
    qint64 occurrences = 0;
};

// One line of Locust's statistics in its units: milliseconds, bytes, per second.
// Latencies are NaN while the row has no requests.
struct LocustRow
{
    QString type; // "POST"; empty for the aggregated row
    QString name;
    qint64 requests = 0;
    qint64 failures = 0;
    double medianMs = std::nan("");
    double averageMs = std::nan("");
    double minMs = std::nan("");
    double maxMs = std::nan("");
    double averageBytes = std::nan("");
    double requestsPerSecond = 0.0;
    double failuresPerSecond = 0.0;
    std::array<double, LocustPercentiles.size()> percentilesMs {};
};

// The statistics at one moment of the run: a row per name, then the aggregated row.
struct HistorySnapshot
{
    qint64 atMs = 0; // wall clock, milliseconds since the epoch
    int userCount = 0;
    QList<LocustRow> rows;
};

} // namespace aimload
