#pragma once

#include "agent/requestrecord.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QSet>
#include <QTimer>

#include <chrono>
#include <deque>

namespace aimload {

// Every request of the run, newest first. addStarted() and addFinished() only queue; the
// queue is applied once per UI tick (or by flush()) as one row insert at the top, a few
// dataChanged for rows that finished, and a dataChanged of the latency cell of rows still
// in flight, whose elapsed time keeps counting. Past capacity() the oldest rows leave from
// the bottom, and only the newest BodiesKept rows keep their response body.
class RequestTableModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column
    {
        Time,
        Cycle,
        Group,
        Prompt,
        Model,
        Endpoint,
        Outcome,
        Status,
        Latency,
        AgentLatency,
        ToolCalls,
        Size,
        TraceId,
        ColumnCount
    };
    Q_ENUM(Column)

    enum Role
    {
        SortRole = Qt::UserRole, // qint64/double for numbers and times, QString for texts
        RecordIdRole, // quint64
        OutcomeRole, // int(aimload::Outcome)
        GroupRole, // QString
        ModelRole, // int(aimload::Model)
        BodyAvailableRole, // bool: the response body is still held
    };
    Q_ENUM(Role)

    static constexpr int DefaultCapacity = 100'000;
    static constexpr int BodiesKept = 500;
    static constexpr qsizetype PrettyBodyLimit = 64 * 1024;

    explicit RequestTableModel(QObject* parent = nullptr);
    ~RequestTableModel() override;

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    int columnCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // row must be valid. The body is empty once dropped: see isBodyAvailable().
    const RequestRecord& rowAt(int row) const;
    bool isBodyAvailable(int row) const;
    int inFlightCount() const { return int(m_inFlight.size()); }

    int capacity() const { return m_capacity; }
    void setCapacity(int rows); // at least 1; drops the oldest rows at once
    std::chrono::milliseconds updateInterval() const;
    void setUpdateInterval(std::chrono::milliseconds interval);

    // Indented JSON when the body parses, the text as is otherwise; over PrettyBodyLimit
    // it is cut, with a note saying how much was left out.
    static QString prettyBody(const QByteArray& body);

public Q_SLOTS:
    void addStarted(const aimload::RequestRecord& record);
    // Updates the row of the same id at the next tick. A record without a row (never seen
    // starting, or already dropped for capacity) gets a new row at the top.
    void addFinished(const aimload::RequestRecord& record);
    void flush();
    void clear(); // a reset, for a new run only

private:
    struct Entry
    {
        RequestRecord record;
        bool bodyAvailable = false;
    };

    Entry& entryAt(int row);
    const Entry& entryAt(int row) const;
    int rowOfSeq(quint64 seq) const;
    Entry* entryOfSeq(quint64 seq);
    void queue(const RequestRecord& record);
    void store(Entry& entry, const RequestRecord& record);
    QString intern(const QString& text);
    void scheduleFlush();

    void applyUpdates();
    void insertPending();
    void removeOldest(int count);
    void forgetInFlight(const Entry& entry);
    void dropOldBodies();
    void refreshInFlight();
    void emitRowRuns(QList<int> rows, int firstColumn, int lastColumn, const QList<int>& roles);

    QVariant display(const RequestRecord& record, int column) const;
    QVariant sortValue(const RequestRecord& record, int column) const;
    QVariant toolTip(const RequestRecord& record, int column) const;
    double elapsedMs(const RequestRecord& record) const;

    // Oldest first, so both ends move in O(1); row r is m_entries[size - 1 - r]. Every entry
    // has a sequence number: m_entries holds [m_firstSeq, m_firstSeq + size), m_pending the
    // ones after it up to m_nextSeq.
    std::deque<Entry> m_entries;
    std::deque<Entry> m_pending;
    quint64 m_firstSeq = 0;
    quint64 m_nextSeq = 0;
    quint64 m_bodySeq = 0; // entries below this seq have had their body dropped
    QHash<quint64, quint64> m_inFlight; // record id -> seq, for rows not finished yet
    QHash<quint64, RequestRecord> m_updates; // by seq: shown rows finished since the last flush
    QSet<QString> m_strings;
    int m_capacity = DefaultCapacity;
    QTimer m_tick;
};

} // namespace aimload
