#include "statstablemodel.h"

#include "displayformat.h"
#include "sortkey.h"

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

constexpr qint64 MinRateWindowMs = 60'000;

// NaN-aware: two missing values are the same value.
bool same(const QVariant& left, const QVariant& right)
{
    if (left.typeId() == QMetaType::Double && right.typeId() == QMetaType::Double) {
        const double a = left.toDouble();
        const double b = right.toDouble();
        return a == b || (std::isnan(a) && std::isnan(b));
    }
    return left == right;
}

QString number(double value, int decimals)
{
    return std::isnan(value) ? QString() : QString::number(value, 'f', decimals);
}

} // namespace

StatsTableModel::StatsTableModel(QObject* parent)
    : QAbstractTableModel(parent)
{ }

int StatsTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int StatsTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

const StatsRow& StatsTableModel::rowAt(int row) const
{
    return m_rows.at(row).stats;
}

StatsTableModel::RowKind StatsTableModel::rowKind(int row) const
{
    return m_rows.at(row).kind;
}

void StatsTableModel::setStartTime(const QDateTime& start)
{
    m_startTime = start;
}

QList<StatsTableModel::Row> StatsTableModel::target(
    const StatsAggregator& stats, const QDateTime& now) const
{
    const qint64 windowMs = m_startTime.isValid() ? m_startTime.msecsTo(now) : 0;
    const auto rate = [windowMs](const StatsRow& row) {
        return windowMs >= MinRateWindowMs ? double(row.requests) * 3'600'000.0 / double(windowMs)
                                           : std::nan("");
    };

    QList<Row> rows;
    const QList<StatsRow> groupRows = stats.rows();
    for (const StatsRow& row : groupRows)
        rows.append({RowKind::GroupModel, row, rate(row)});
    for (const aimload::Model model : {aimload::Model::A, aimload::Model::B}) {
        const StatsRow total = stats.modelTotal(model);
        if (total.requests + total.cancelled > 0)
            rows.append({RowKind::ModelTotal, total, rate(total)});
    }
    const StatsRow total = stats.total();
    rows.append({RowKind::Aggregated, total, rate(total)});
    return rows;
}

bool StatsTableModel::sameKey(const Row& left, const Row& right)
{
    return left.kind == right.kind && left.stats.model == right.stats.model
        && left.stats.group == right.stats.group;
}

qsizetype StatsTableModel::find(const Row& row) const
{
    for (qsizetype i = 0; i < m_rows.size(); ++i) {
        if (sameKey(m_rows.at(i), row))
            return i;
    }
    return -1;
}

int StatsTableModel::firstDifference(const Row& left, const Row& right)
{
    for (int column = 0; column < ColumnCount; ++column) {
        if (!same(cell(left, column), cell(right, column)))
            return column;
    }
    return -1;
}

int StatsTableModel::lastDifference(const Row& left, const Row& right)
{
    for (int column = ColumnCount - 1; column >= 0; --column) {
        if (!same(cell(left, column), cell(right, column)))
            return column;
    }
    return -1;
}

void StatsTableModel::refresh(const StatsAggregator& stats, const QDateTime& now)
{
    const QList<Row> rows = target(stats, now);

    // Rows of a previous run that the aggregator no longer has.
    for (qsizetype i = m_rows.size() - 1; i >= 0; --i) {
        const Row& row = m_rows.at(i);
        const bool kept = std::any_of(
            rows.cbegin(), rows.cend(), [&row](const Row& other) { return sameKey(row, other); });
        if (kept)
            continue;
        beginRemoveRows(QModelIndex(), int(i), int(i));
        m_rows.removeAt(i);
        endRemoveRows();
    }

    // A new row goes right after the row that precedes it in the aggregator's order.
    for (qsizetype i = 0; i < rows.size(); ++i) {
        const Row& row = rows.at(i);
        const qsizetype at = find(row);
        if (at < 0) {
            const int position = i == 0 ? 0 : int(find(rows.at(i - 1)) + 1);
            beginInsertRows(QModelIndex(), position, position);
            m_rows.insert(position, row);
            endInsertRows();
            continue;
        }
        const int first = firstDifference(m_rows.at(at), row);
        if (first < 0)
            continue;
        const int last = lastDifference(m_rows.at(at), row);
        m_rows[at] = row;
        Q_EMIT dataChanged(index(int(at), first), index(int(at), last));
    }
}

// The value of a cell as a number or text: what SortRole returns and what refresh() compares.
QVariant StatsTableModel::cell(const Row& row, int column)
{
    const StatsRow& stats = row.stats;
    switch (column) {
    case Group:
        return stats.group;
    case Model:
        return stats.model ? QVariant(int(*stats.model)) : QVariant(-1);
    case Requests:
        return stats.requests;
    case Fails:
        return stats.failures;
    case FailPercent:
        return stats.requests > 0 ? stats.failureRate() * 100.0 : std::nan("");
    case Median:
        return stats.medianMs;
    case P95:
        return stats.p95Ms;
    case P99:
        return stats.p99Ms;
    case Average:
        return stats.averageMs;
    case Min:
        return stats.minMs;
    case Max:
        return stats.maxMs;
    case AverageSize:
        return stats.averageBytes;
    case RequestsPerHour:
        return row.requestsPerHour;
    default:
        return {};
    }
}

QVariant StatsTableModel::sortValue(const Row& row, int column) const
{
    switch (column) {
    case Group:
        return text(row, column, false);
    case Model:
    case Requests:
    case Fails:
        return cell(row, column);
    default:
        return sortKey(cell(row, column).toDouble());
    }
}

QString StatsTableModel::text(const Row& row, int column, bool forCopy) const
{
    const StatsRow& stats = row.stats;
    const QVariant value = cell(row, column);
    QString text;
    switch (column) {
    case Group:
        if (row.kind == RowKind::Aggregated)
            return tr("Aggregated");
        return row.kind == RowKind::ModelTotal ? tr("All groups") : stats.group;
    case Model:
        return stats.model ? DisplayFormat::modelLetter(*stats.model) : tr("A+B");
    case Requests:
    case Fails:
        return QString::number(value.toLongLong());
    case FailPercent:
    case RequestsPerHour:
        text = number(value.toDouble(), 1);
        break;
    default:
        text = number(value.toDouble(), 0);
        break;
    }
    return text.isEmpty() && !forCopy ? u"\u2013"_s : text;
}

QVariant StatsTableModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& row = m_rows.at(index.row());
    const int column = index.column();

    switch (role) {
    case Qt::DisplayRole:
        return text(row, column, false);
    case Qt::TextAlignmentRole:
        return column >= Requests ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    case Qt::ToolTipRole:
        return column == Requests && row.stats.cancelled > 0
            ? tr("%1 more cancelled, not counted").arg(row.stats.cancelled)
            : QVariant();
    case SortRole:
        return sortValue(row, column);
    case RowKindRole:
        return int(row.kind);
    case GroupRole:
        return row.stats.group;
    case ModelRole:
        return row.stats.model ? QVariant(int(*row.stats.model)) : QVariant();
    default:
        return {};
    }
}

QVariant StatsTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Group:
        return tr("Group");
    case Model:
        return tr("Model");
    case Requests:
        return tr("Requests");
    case Fails:
        return tr("Fails");
    case FailPercent:
        return tr("Fail %");
    case Median:
        return tr("Median (ms)");
    case P95:
        return tr("95%ile (ms)");
    case P99:
        return tr("99%ile (ms)");
    case Average:
        return tr("Average (ms)");
    case Min:
        return tr("Min (ms)");
    case Max:
        return tr("Max (ms)");
    case AverageSize:
        return tr("Average size (bytes)");
    case RequestsPerHour:
        return tr("Requests/h");
    default:
        return {};
    }
}

QString StatsTableModel::copyText() const
{
    QStringList lines;
    QStringList cells;
    for (int column = 0; column < ColumnCount; ++column)
        cells.append(headerData(column, Qt::Horizontal).toString());
    lines.append(cells.join(u'\t'));
    for (const Row& row : m_rows) {
        cells.clear();
        for (int column = 0; column < ColumnCount; ++column)
            cells.append(text(row, column, true));
        lines.append(cells.join(u'\t'));
    }
    return lines.join(u'\n') + u'\n';
}

} // namespace aimload
