#pragma once

#include "stats/statsaggregator.h"

#include <QAbstractTableModel>
#include <QDateTime>

namespace aimload {

// Locust's statistics table: one row per group and model, then a total per model and the
// aggregated row. refresh() inserts the rows that appeared and announces the cells that
// changed; it never resets.
class StatsTableModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column
    {
        Group,
        Model,
        Requests,
        Fails,
        FailPercent,
        Median,
        P95,
        P99,
        Average,
        Min,
        Max,
        AverageSize,
        RequestsPerHour,
        ColumnCount
    };
    Q_ENUM(Column)

    enum Role
    {
        SortRole = Qt::UserRole, // numbers as double or qint64, texts as QString
        RowKindRole, // int(RowKind)
        GroupRole, // QString, empty on total rows
        ModelRole, // int(aimload::Model), invalid on the aggregated row
    };
    Q_ENUM(Role)

    enum class RowKind
    {
        GroupModel,
        ModelTotal,
        Aggregated
    };
    Q_ENUM(RowKind)

    explicit StatsTableModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    int columnCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    const StatsRow& rowAt(int row) const;
    RowKind rowKind(int row) const;

    // Requests/h counts from this time; shown once a minute has passed since it.
    QDateTime startTime() const { return m_startTime; }
    void setStartTime(const QDateTime& start);
    void refresh(
        const StatsAggregator& stats, const QDateTime& now = QDateTime::currentDateTimeUtc());

    // The header and every row, tab-separated, for the clipboard and spreadsheets.
    QString copyText() const;

private:
    struct Row
    {
        RowKind kind = RowKind::GroupModel;
        StatsRow stats;
        double requestsPerHour = 0.0;
    };

    static bool sameKey(const Row& left, const Row& right);
    static int firstDifference(const Row& left, const Row& right);
    static int lastDifference(const Row& left, const Row& right);
    static QVariant cell(const Row& row, int column);
    QList<Row> target(const StatsAggregator& stats, const QDateTime& now) const;
    qsizetype find(const Row& row) const;
    QVariant sortValue(const Row& row, int column) const;
    QString text(const Row& row, int column, bool forCopy) const;

    QList<Row> m_rows;
    QDateTime m_startTime;
};

} // namespace aimload
