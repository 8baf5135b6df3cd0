#pragma once

#include "agent/requestrecord.h"
#include "stats/statsaggregator.h"
#include "storage/journaltypes.h"

#include <QList>
#include <QObject>
#include <QSqlDatabase>
#include <QSqlQuery>

#include <chrono>
#include <functional>
#include <optional>

class QSqlError;

namespace aimload {

// Every finished request of every run, kept in an SQLite file so that a run's history
// survives a crash, a kill or a restart. Each write is committed before the call returns.
// When a write fails after open() (disk full, file gone read-only, I/O error) the journal
// emits failed() once and stops writing; the run goes on in memory. Like the database
// connection it holds, a journal belongs to the thread that opens it.
class Journal : public QObject
{
    Q_OBJECT

public:
    static constexpr int SchemaVersion = 2;
    static constexpr qsizetype BodyHeadBytes = 4096; // how much of each answer is kept

    explicit Journal(QObject* parent = nullptr);
    ~Journal() override;

    // How long a write waits for another process holding the file; takes effect at open().
    void setBusyTimeout(std::chrono::milliseconds timeout);

    // Opens or creates the journal, creating its directory if needed. On failure returns
    // false with one line naming the file and the problem.
    bool open(const QString& path, QString* error);
    void close();

    bool isOpen() const { return m_db.isOpen(); }
    bool isWriting() const { return m_writing; }
    QString path() const { return m_path; }
    QString errorString() const { return m_error; } // why writing stopped, if it did

    // Returns the new run's id, or -1 when the journal is not writing.
    qint64 beginRun(const RunInfo& info);
    void endRun(qint64 runId, const QString& reason);
    // The run goes on again after endRun() (started again, or continued by a new process):
    // it has no end until the next endRun().
    void resumeRun(qint64 runId);
    void record(qint64 runId, const RequestRecord& record);
    // Slots firstSlot .. firstSlot + count - 1 of a user went by without a cycle.
    void recordSkippedSlots(
        qint64 runId, int user, qint64 firstSlot, qint64 count, const QString& reason);

    QList<RunInfo> runs() const; // newest first
    qint64 latestRunId() const; // -1 when there is none
    // Calls visit for each request of the run in the order they started, one row at a
    // time. A visited record's body holds the first BodyHeadBytes of the answer.
    // With RecordParts::WithoutBody the body stays empty; RecordParts::Statistics fills only
    // what StatsAggregator and a run's cycle count read (group, model, outcome, latency,
    // size, tool calls, cycle, start), the cheap way to replay a long run.
    enum class RecordParts
    {
        All,
        WithoutBody,
        Statistics
    };
    void forEachRecord(qint64 runId, const std::function<void(const RequestRecord&)>& visit,
        RecordParts parts = RecordParts::All) const;
    // The kept head of one request's answer (BodyHeadBytes at most), found by its start,
    // cycle, model and id; nullopt when the journal has no such request.
    std::optional<QByteArray> bodyHead(qint64 runId, const RequestRecord& record) const;
    // The run's last limit requests, oldest first.
    QList<RequestRecord> recentRecords(qint64 runId, int limit) const;
    QList<SkippedSlot> skippedSlots(qint64 runId) const; // stretches, oldest first
    qint64 skippedSlotCount(qint64 runId) const;
    // The run's statistics computed by SQLite, fast for any length of run: the group x
    // model rows (groupOrder first, then the others as first recorded; A before B), then
    // the Model A, Model B and overall totals. The figures a StatsAggregator fed with
    // forEachRecord() gives, exact percentiles included.
    QList<StatsRow> statsRows(qint64 runId, const QStringList& groupOrder = {}) const;

Q_SIGNALS:
    void failed(const QString& error);

private:
    QString checkPath() const;
    bool openDatabase(QString* problem);
    bool migrate(QString* problem);
    bool prepareWrites(QString* problem);
    QString describe(const QSqlError& error) const;
    bool write(QSqlQuery& query);
    void fail(const QSqlError& error);
    QSqlQuery readQuery(const QString& sql, const QVariantList& values = {}) const;

    QString m_connectionName;
    QString m_path;
    QString m_error;
    std::chrono::milliseconds m_busyTimeout {std::chrono::seconds(5)};
    QSqlDatabase m_db;
    QSqlQuery m_insertRequest;
    QSqlQuery m_insertSkippedSlot;
    bool m_writing = false;
};

} // namespace aimload
