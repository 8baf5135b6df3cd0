#pragma once

#include "stats/statsaggregator.h"

#include <QAbstractTableModel>

#include <optional>

namespace aimload {

// Model A against Model B, one row per group and an overall row last. Deltas are B minus
// A. The better of the two values of a metric (higher success, lower latency) is coloured,
// and BetterModelRole names it. refresh() never resets.
class AbComparisonModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column
    {
        Group,
        ARequests,
        BRequests,
        ASuccess,
        BSuccess,
        SuccessDelta, // points
        AMedian,
        BMedian,
        MedianDelta, // ms, with the percentage of A's median in the text
        AP95,
        BP95,
        P95Delta,
        AToolCalls,
        BToolCalls,
        ColumnCount
    };
    Q_ENUM(Column)

    enum Role
    {
        SortRole = Qt::UserRole, // double or qint64; QString for the group
        GroupRole, // QString, empty on the overall row
        OverallRole, // bool
        BetterModelRole, // int(aimload::Model) on metric cells when one is better, else invalid
    };
    Q_ENUM(Role)

    struct Comparison
    {
        QString group; // empty for the overall row
        StatsRow a;
        StatsRow b;

        bool isOverall() const { return group.isEmpty(); }
        double successPercent(Model model) const; // NaN without requests
        double successDelta() const; // B - A, points
        double medianDelta() const; // B - A, ms
        double medianDeltaPercent() const; // of A's median
        double p95Delta() const;
        double p95DeltaPercent() const;
    };

    explicit AbComparisonModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    int columnCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    const Comparison& rowAt(int row) const;
    // The model with the better value in this column of this row, if the column is a
    // metric and the two values differ.
    std::optional<Model> betterModel(int row, int column) const;

    void refresh(const StatsAggregator& stats);

private:
    static QVariant value(const Comparison& row, int column);
    static QString text(const Comparison& row, int column);
    QVariant toolTip(int row, int column) const;
    QList<Comparison> target(const StatsAggregator& stats) const;
    qsizetype find(const QString& group, bool overall) const;

    QList<Comparison> m_rows;
};

} // namespace aimload
