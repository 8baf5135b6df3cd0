#pragma once

#include "agent/requestrecord.h"

#include <QAbstractTableModel>
#include <QDateTime>
#include <QHash>
#include <QTimer>

#include <chrono>

namespace aimload {

// Failed requests grouped by group, model and message, where the message is the error with
// its volatile parts (byte counts, durations, ids, timestamps) normalised, so one fault
// is one row however often it recurs. Rows are appended, in order of first sight, once per
// UI tick or on flush().
class FailuresModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column
    {
        Group,
        Model,
        Message,
        Outcome,
        Count,
        FirstSeen,
        LastSeen,
        ColumnCount
    };
    Q_ENUM(Column)

    enum Role
    {
        SortRole = Qt::UserRole, // qint64 for counts and times, QString for texts
        RecordIdRole, // quint64, the latest request of the row
        OutcomeRole, // int(aimload::Outcome), the latest
        GroupRole, // QString
        ModelRole, // int(aimload::Model)
    };
    Q_ENUM(Role)

    struct Failure
    {
        QString group;
        aimload::Model model = aimload::Model::A;
        QString message; // normalised
        QList<aimload::Outcome> outcomes; // distinct, in order of first sight
        aimload::Outcome lastOutcome = aimload::Outcome::Pending;
        qint64 count = 0;
        QDateTime firstSeen; // when the failed request ended
        QDateTime lastSeen;
        quint64 lastRecordId = 0;
        QString lastError; // as received, with its detail
    };

    // Past this many rows, new messages count in one "other failures" row per group and
    // model, in case an error text carries a volatile part the normalisation misses.
    static constexpr int MaxRows = 5000;

    explicit FailuresModel(QObject* parent = nullptr);
    ~FailuresModel() override;

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    int columnCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    const Failure& rowAt(int row) const;
    qint64 totalFailures() const { return m_total; }
    void setUpdateInterval(std::chrono::milliseconds interval);

    // "answer larger than the 8388608 byte limit" -> "answer larger than the N byte limit"
    static QString normalizedMessage(const QString& error);

public Q_SLOTS:
    // Records that are not failures (see isFailure()) are ignored.
    void add(const aimload::RequestRecord& record);
    void flush();
    void clear();

private:
    static QString key(const QString& group, aimload::Model model, const QString& message);
    static void merge(Failure& failure, const RequestRecord& record);
    QVariant display(const Failure& failure, int column) const;
    QVariant sortValue(const Failure& failure, int column) const;

    QList<Failure> m_rows;
    QHash<QString, int> m_rowOfKey;
    QList<RequestRecord> m_pending;
    qint64 m_total = 0;
    QTimer m_tick;
};

} // namespace aimload
