#include "report/reportrecorder.h"

#include "engine/loadengine.h"
#include "report/reportlogging.h"
#include "report/requestcsvlog.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

int modelIndex(Model model)
{
    return model == Model::A ? 0 : 1;
}

qint64 finishedAtMs(const RequestRecord& record)
{
    if (!record.startedAt.isValid())
        return QDateTime::currentMSecsSinceEpoch();
    return record.startedAt.toMSecsSinceEpoch() + qRound64(record.latencyMs);
}

} // namespace

ReportRecorder::ReportRecorder(QObject* parent)
    : QObject(parent)
{
    m_heartbeat.setInterval(std::chrono::seconds(60));
    connect(&m_heartbeat, &QTimer::timeout, this,
        [this] { takeSnapshot(QDateTime::currentDateTimeUtc()); });

    // Requests finishing in a burst share one snapshot, taken when the burst is over.
    m_pendingSnapshot.setSingleShot(true);
    m_pendingSnapshot.setInterval(std::chrono::milliseconds(MinSnapshotSpacingMs));
    connect(&m_pendingSnapshot, &QTimer::timeout, this, [this] {
        if (m_pendingMs < 0)
            return;
        m_lastRequestSnapshotMs = m_pendingMs;
        snapshotAt(m_pendingMs);
    });
}

ReportRecorder::~ReportRecorder() = default;

QString ReportRecorder::requestType()
{
    return u"POST"_s;
}

QString ReportRecorder::requestName(const QString& group, Model model)
{
    return group + u" ("_s + modelLabel(model) + u')';
}

QString ReportRecorder::aggregatedName()
{
    return u"Aggregated"_s;
}

void ReportRecorder::attach(LoadEngine* engine)
{
    connect(engine, &LoadEngine::requestFinished, this, &ReportRecorder::addRecord);
    connect(engine, &LoadEngine::cycleFinished, this, &ReportRecorder::addFinishedCycle);
    connect(engine, &LoadEngine::skippedSlots, this, &ReportRecorder::addSkippedSlots);
    connect(engine, &LoadEngine::finished, this, &ReportRecorder::finishRun);
    connect(engine, &LoadEngine::stateChanged, this, [this](LoadEngine::State state) {
        if (state == LoadEngine::State::Running)
            startRun();
    });
}

void ReportRecorder::setHeartbeatInterval(std::chrono::milliseconds interval)
{
    m_heartbeat.setInterval(interval);
    if (interval.count() <= 0)
        m_heartbeat.stop();
    else if (m_running)
        m_heartbeat.start();
}

void ReportRecorder::setHistoryLimit(qsizetype snapshots)
{
    m_historyLimit = std::max<qsizetype>(3, snapshots);
    thinHistory();
}

bool ReportRecorder::openRequestLog(const QString& partialPath, QString* error)
{
    auto log = std::make_unique<RequestCsvLog>(partialPath);
    if (!log->open(error))
        return false;
    m_requestLog = std::move(log);
    return true;
}

void ReportRecorder::discardRequestLog()
{
    if (m_requestLog)
        m_requestLog->discard();
    m_requestLog.reset();
}

void ReportRecorder::setRunInfo(const ReportRunInfo& info)
{
    const QDateTime startedAt = m_info.startedAt;
    const QDateTime endedAt = m_info.endedAt;
    const QString endReason = m_info.endReason;
    m_info = info;
    if (!m_info.startedAt.isValid())
        m_info.startedAt = startedAt;
    if (!m_info.endedAt.isValid()) {
        m_info.endedAt = endedAt;
        m_info.endReason = endReason;
    }
    m_stats.setGroupOrder(m_info.groups);
    m_timeline.setGroupOrder(m_info.groups);
    m_timeline.setStart(m_info.startedAt);
}

void ReportRecorder::startRun()
{
    if (m_running)
        return;
    // Started again after a stop (the status endpoint's /api/start, the window's Start):
    // the reports go on covering the whole session, from its first start.
    const bool resumed = m_finished;
    if (resumed) {
        m_finished = false;
        m_info.endedAt = QDateTime();
        m_info.endReason.clear();
    }
    if (!m_info.startedAt.isValid())
        m_info.startedAt = QDateTime::currentDateTimeUtc();
    m_running = true;
    m_timeline.setStart(m_info.startedAt);
    if (m_heartbeat.interval() > 0)
        m_heartbeat.start();
    snapshotAt(
        resumed ? QDateTime::currentMSecsSinceEpoch() : m_info.startedAt.toMSecsSinceEpoch());
}

void ReportRecorder::addRecord(const RequestRecord& record)
{
    if (!record.finished())
        return;
    if (m_requestLog)
        m_requestLog->append(record);
    m_stats.add(record);
    if (record.outcome == Outcome::Cancelled) {
        ++m_counts.requestsCancelled;
        return;
    }

    const qint64 atMs = finishedAtMs(record);
    const bool failed = isFailure(record.outcome);
    if (m_firstRequestMs < 0)
        m_firstRequestMs = record.startedAt.isValid() ? record.startedAt.toMSecsSinceEpoch() : atMs;
    m_lastRequestMs = std::max(m_lastRequestMs, atMs);
    if (failed)
        addFailure(record);
    m_timeline.add(QDateTime::fromMSecsSinceEpoch(atMs, Qt::UTC), record.group, record.model,
        record.latencyMs, failed);
    m_histograms[modelIndex(record.model)].add(record.latencyMs);
    m_recent.push_back({atMs, requestName(record.group, record.model), failed});
    scheduleSnapshot(atMs);
}

void ReportRecorder::scheduleSnapshot(qint64 atMs)
{
    // The spacing is between requests' snapshots: the one at the start or a heartbeat
    // does not make a request wait for the next.
    if (m_lastRequestSnapshotMs < 0 || atMs - m_lastRequestSnapshotMs >= MinSnapshotSpacingMs) {
        snapshotAt(atMs);
        m_lastRequestSnapshotMs = atMs;
        return;
    }
    m_pendingMs = std::max(m_pendingMs, atMs);
    if (!m_pendingSnapshot.isActive())
        m_pendingSnapshot.start();
}

void ReportRecorder::addFinishedCycle(const CycleInfo& cycle)
{
    ++m_counts.cyclesCompleted;
    m_counts.cyclesTriggered += cycle.triggered ? 1 : 0;
    m_counts.cyclesWithFailures += cycle.failures > 0 ? 1 : 0;
    if (const qint64 delayNs = cycle.startDelayNs(); delayNs >= 0)
        m_cycleStartDelay.add(double(delayNs) / 1e6);
}

void ReportRecorder::addSkippedSlots(
    int user, qint64 firstSlot, qint64 count, const QString& reason)
{
    m_counts.slotsSkipped += count;
    qCDebug(lcReport) << count << "slots from" << firstSlot << "of user" << user
                      << "skipped:" << reason;
}

void ReportRecorder::finishRun(const QString& reason)
{
    if (m_finished)
        return;
    m_finished = true;
    m_heartbeat.stop();
    m_pendingSnapshot.stop();
    const qint64 nowMs = QDateTime::currentMSecsSinceEpoch();
    snapshotAt(std::max({nowMs, m_lastRequestMs, m_pendingMs}));
    m_running = false;
    if (!m_info.endedAt.isValid())
        m_info.endedAt = QDateTime::fromMSecsSinceEpoch(nowMs, Qt::UTC);
    m_info.endReason = reason;
}

void ReportRecorder::takeSnapshot(const QDateTime& at)
{
    snapshotAt(at.isValid() ? at.toMSecsSinceEpoch() : QDateTime::currentMSecsSinceEpoch());
}

void ReportRecorder::snapshotAt(qint64 atMs)
{
    // The wall clock may step back; the history never does.
    atMs = std::max(atMs, m_lastSnapshotMs);
    m_pendingMs = -1;
    m_pendingSnapshot.stop();

    const qint64 windowMs = rateWindow().count();
    while (!m_recent.empty() && m_recent.front().atMs <= atMs - windowMs)
        m_recent.pop_front();
    const qint64 startMs = runStartMs();
    const qint64 spanMs
        = startMs >= 0 ? std::clamp<qint64>(atMs - startMs, 1000, windowMs) : windowMs;
    const double spanSeconds = double(spanMs) / 1000.0;
    const auto rates = [this, spanSeconds](LocustRow& row, bool aggregated) {
        qint64 requests = 0;
        qint64 failures = 0;
        for (const RecentRequest& recent : m_recent) {
            if (aggregated || recent.name == row.name) {
                ++requests;
                failures += recent.failed ? 1 : 0;
            }
        }
        row.requestsPerSecond = double(requests) / spanSeconds;
        row.failuresPerSecond = double(failures) / spanSeconds;
    };

    HistorySnapshot snapshot;
    snapshot.atMs = atMs;
    snapshot.userCount = m_running ? m_info.users : 0;
    const QList<StatsRow> rows = m_stats.rows();
    for (const StatsRow& row : rows) {
        snapshot.rows.append(locustRow(row));
        rates(snapshot.rows.last(), false);
    }
    snapshot.rows.append(locustRow(m_stats.total()));
    rates(snapshot.rows.last(), true);

    m_history.append(std::move(snapshot));
    m_lastSnapshotMs = atMs;
    thinHistory();
}

void ReportRecorder::thinHistory()
{
    if (m_history.size() <= m_historyLimit)
        return;
    // Keeps the first and the last snapshot and every other one between them.
    QList<HistorySnapshot> thinned;
    thinned.reserve(m_history.size() / 2 + 2);
    for (qsizetype i = 0; i < m_history.size(); ++i) {
        if (i % 2 == 0 || i == m_history.size() - 1)
            thinned.append(std::move(m_history[i]));
    }
    m_history = std::move(thinned);
    qCDebug(lcReport) << "history thinned to" << m_history.size() << "snapshots";
}

void ReportRecorder::addFailure(const RequestRecord& record)
{
    const QString name = requestName(record.group, record.model);
    QString error = record.error.isEmpty() ? outcomeName(record.outcome) : record.error;
    QString key = name + u'\x1f' + error;
    // Errors that quote the agent's detail can all differ; past the limit the new kinds
    // share one line per name instead of growing without end.
    if (!m_failures.contains(key) && m_failures.size() >= FailureKindLimit) {
        error = tr("(other errors)");
        key = name + u'\x1f' + error;
    }

    FailureEntry& entry = m_failures[key];
    if (entry.occurrences == 0) {
        entry.method = requestType();
        entry.name = name;
        entry.group = record.group;
        entry.model = record.model;
        entry.error = error;
    }
    ++entry.occurrences;
}

qint64 ReportRecorder::runStartMs() const
{
    return m_info.startedAt.isValid() ? m_info.startedAt.toMSecsSinceEpoch() : m_firstRequestMs;
}

QDateTime ReportRecorder::lastRequestAt() const
{
    return m_lastRequestMs < 0 ? QDateTime()
                               : QDateTime::fromMSecsSinceEpoch(m_lastRequestMs, Qt::UTC);
}

std::chrono::milliseconds ReportRecorder::rateWindow() const
{
    return std::max<std::chrono::milliseconds>(m_info.pacing, std::chrono::seconds(10));
}

const LatencyHistogram& ReportRecorder::histogram(Model model) const
{
    return m_histograms.at(modelIndex(model));
}

LocustRow ReportRecorder::locustRow(const StatsRow& row) const
{
    LocustRow locust;
    if (row.model && !row.group.isEmpty()) {
        locust.type = requestType();
        locust.name = requestName(row.group, *row.model);
    } else if (row.model) {
        locust.type = requestType();
        locust.name = modelLabel(*row.model);
    } else {
        locust.name = aggregatedName();
    }
    locust.requests = row.requests;
    locust.failures = row.failures;
    locust.medianMs = row.medianMs;
    locust.averageMs = row.averageMs;
    locust.minMs = row.minMs;
    locust.maxMs = row.maxMs;
    locust.averageBytes = row.averageBytes;
    for (std::size_t i = 0; i < LocustPercentiles.size(); ++i)
        locust.percentilesMs[i] = m_stats.percentile(row, LocustPercentiles[i]);
    return locust;
}

QList<LocustRow> ReportRecorder::statsRows(bool withModelTotals) const
{
    const qint64 startMs = runStartMs();
    const double seconds = startMs >= 0 && m_lastRequestMs > startMs
        ? double(m_lastRequestMs - startMs) / 1000.0
        : 0.0;
    const auto withRates = [seconds](LocustRow row) -> LocustRow {
        row.requestsPerSecond = seconds > 0.0 ? double(row.requests) / seconds : 0.0;
        row.failuresPerSecond = seconds > 0.0 ? double(row.failures) / seconds : 0.0;
        return row;
    };

    QList<LocustRow> rows;
    const QList<StatsRow> statsRows = m_stats.rows();
    for (const StatsRow& row : statsRows)
        rows.append(withRates(locustRow(row)));
    if (withModelTotals) {
        rows.append(withRates(locustRow(m_stats.modelTotal(Model::A))));
        rows.append(withRates(locustRow(m_stats.modelTotal(Model::B))));
    }
    rows.append(withRates(locustRow(m_stats.total())));
    return rows;
}

QList<FailureEntry> ReportRecorder::failures() const
{
    QList<FailureEntry> entries = m_failures.values();
    std::sort(entries.begin(), entries.end(), [](const FailureEntry& a, const FailureEntry& b) {
        if (a.occurrences != b.occurrences)
            return a.occurrences > b.occurrences;
        if (a.name != b.name)
            return a.name < b.name;
        return a.error < b.error;
    });
    return entries;
}

} // namespace aimload
