#include "abcomparisonmodel.h"

#include "displayformat.h"
#include "sortkey.h"

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

enum class Better
{
    None,
    Higher,
    Lower
};

Better direction(int column)
{
    switch (column) {
    case AbComparisonModel::ASuccess:
    case AbComparisonModel::BSuccess:
    case AbComparisonModel::SuccessDelta:
        return Better::Higher;
    case AbComparisonModel::AMedian:
    case AbComparisonModel::BMedian:
    case AbComparisonModel::MedianDelta:
    case AbComparisonModel::AP95:
    case AbComparisonModel::BP95:
    case AbComparisonModel::P95Delta:
        return Better::Lower;
    default:
        return Better::None;
    }
}

std::optional<Model> columnModel(int column)
{
    switch (column) {
    case AbComparisonModel::ARequests:
    case AbComparisonModel::ASuccess:
    case AbComparisonModel::AMedian:
    case AbComparisonModel::AP95:
    case AbComparisonModel::AToolCalls:
        return Model::A;
    case AbComparisonModel::BRequests:
    case AbComparisonModel::BSuccess:
    case AbComparisonModel::BMedian:
    case AbComparisonModel::BP95:
    case AbComparisonModel::BToolCalls:
        return Model::B;
    default:
        return std::nullopt;
    }
}

QString signedNumber(double value, int decimals)
{
    const QString magnitude = QString::number(std::abs(value), 'f', decimals);
    if (QString::number(0.0, 'f', decimals) == magnitude)
        return magnitude;
    return (value < 0 ? u"\u2212"_s : u"+"_s) + magnitude;
}

double percentOf(double delta, double base)
{
    return base > 0.0 ? delta / base * 100.0 : std::nan("");
}

// A model that has not answered in a group yet: no numbers rather than zeros.
StatsRow noRequests(const QString& group, Model model)
{
    const double none = std::nan("");
    StatsRow row;
    row.group = group;
    row.model = model;
    row.medianMs = row.p95Ms = row.p99Ms = row.averageMs = none;
    row.minMs = row.maxMs = row.averageBytes = row.averageToolCalls = none;
    return row;
}

bool same(const StatsRow& left, const StatsRow& right)
{
    const auto eq = [](double a, double b) {
        return a == b || (std::isnan(a) && std::isnan(b));
    };
    return left.requests == right.requests && left.failures == right.failures
        && eq(left.medianMs, right.medianMs) && eq(left.p95Ms, right.p95Ms)
        && eq(left.averageToolCalls, right.averageToolCalls);
}

} // namespace

double AbComparisonModel::Comparison::successPercent(Model model) const
{
    const StatsRow& row = model == Model::A ? a : b;
    return row.requests > 0 ? (1.0 - row.failureRate()) * 100.0 : std::nan("");
}

double AbComparisonModel::Comparison::successDelta() const
{
    return successPercent(Model::B) - successPercent(Model::A);
}

double AbComparisonModel::Comparison::medianDelta() const
{
    return b.medianMs - a.medianMs;
}

double AbComparisonModel::Comparison::medianDeltaPercent() const
{
    return percentOf(medianDelta(), a.medianMs);
}

double AbComparisonModel::Comparison::p95Delta() const
{
    return b.p95Ms - a.p95Ms;
}

double AbComparisonModel::Comparison::p95DeltaPercent() const
{
    return percentOf(p95Delta(), a.p95Ms);
}

AbComparisonModel::AbComparisonModel(QObject* parent)
    : QAbstractTableModel(parent)
{ }

int AbComparisonModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int AbComparisonModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

const AbComparisonModel::Comparison& AbComparisonModel::rowAt(int row) const
{
    return m_rows.at(row);
}

QList<AbComparisonModel::Comparison> AbComparisonModel::target(const StatsAggregator& stats) const
{
    QList<Comparison> rows;
    const QList<StatsRow> groupRows = stats.rows();
    for (const StatsRow& row : groupRows) {
        if (rows.isEmpty() || rows.constLast().group != row.group)
            rows.append(
                {row.group, noRequests(row.group, Model::A), noRequests(row.group, Model::B)});
        (row.model == Model::A ? rows.last().a : rows.last().b) = row;
    }
    rows.append({QString(), stats.modelTotal(Model::A), stats.modelTotal(Model::B)});
    return rows;
}

qsizetype AbComparisonModel::find(const QString& group, bool overall) const
{
    for (qsizetype i = 0; i < m_rows.size(); ++i) {
        if (m_rows.at(i).isOverall() == overall && m_rows.at(i).group == group)
            return i;
    }
    return -1;
}

void AbComparisonModel::refresh(const StatsAggregator& stats)
{
    const QList<Comparison> rows = target(stats);

    for (qsizetype i = m_rows.size() - 1; i >= 0; --i) {
        const Comparison& row = m_rows.at(i);
        const bool kept = std::any_of(rows.cbegin(), rows.cend(),
            [&row](const Comparison& other) { return other.group == row.group; });
        if (kept)
            continue;
        beginRemoveRows(QModelIndex(), int(i), int(i));
        m_rows.removeAt(i);
        endRemoveRows();
    }

    for (qsizetype i = 0; i < rows.size(); ++i) {
        const Comparison& row = rows.at(i);
        const qsizetype at = find(row.group, row.isOverall());
        if (at < 0) {
            const int position
                = i == 0 ? 0 : int(find(rows.at(i - 1).group, rows.at(i - 1).isOverall()) + 1);
            beginInsertRows(QModelIndex(), position, position);
            m_rows.insert(position, row);
            endInsertRows();
        } else if (!same(m_rows.at(at).a, row.a) || !same(m_rows.at(at).b, row.b)) {
            m_rows[at] = row;
            Q_EMIT dataChanged(index(int(at), ARequests), index(int(at), ColumnCount - 1));
        }
    }
}

QVariant AbComparisonModel::value(const Comparison& row, int column)
{
    switch (column) {
    case Group:
        return row.group;
    case ARequests:
        return row.a.requests;
    case BRequests:
        return row.b.requests;
    case ASuccess:
        return row.successPercent(Model::A);
    case BSuccess:
        return row.successPercent(Model::B);
    case SuccessDelta:
        return row.successDelta();
    case AMedian:
        return row.a.medianMs;
    case BMedian:
        return row.b.medianMs;
    case MedianDelta:
        return row.medianDelta();
    case AP95:
        return row.a.p95Ms;
    case BP95:
        return row.b.p95Ms;
    case P95Delta:
        return row.p95Delta();
    case AToolCalls:
        return row.a.averageToolCalls;
    case BToolCalls:
        return row.b.averageToolCalls;
    default:
        return {};
    }
}

std::optional<Model> AbComparisonModel::betterModel(int row, int column) const
{
    const Better better = direction(column);
    if (better == Better::None)
        return std::nullopt;
    const Comparison& comparison = m_rows.at(row);
    double delta = comparison.successDelta();
    if (better == Better::Lower)
        delta = column <= MedianDelta ? comparison.medianDelta() : comparison.p95Delta();
    if (std::isnan(delta) || delta == 0.0)
        return std::nullopt;
    const bool bIsHigher = delta > 0.0;
    return bIsHigher == (better == Better::Higher) ? Model::B : Model::A;
}

QString AbComparisonModel::text(const Comparison& row, int column)
{
    const QVariant cell = value(row, column);
    const double number = cell.toDouble();
    if (column != Group && cell.typeId() == QMetaType::Double && std::isnan(number))
        return u"\u2013"_s;

    switch (column) {
    case Group:
        return row.isOverall() ? tr("Overall") : row.group;
    case ARequests:
    case BRequests:
        return QString::number(cell.toLongLong());
    case ASuccess:
    case BSuccess:
        return tr("%1 %").arg(QString::number(number, 'f', 1));
    case SuccessDelta:
        return tr("%1 pts").arg(signedNumber(number, 1));
    case MedianDelta:
    case P95Delta: {
        const double percent
            = column == MedianDelta ? row.medianDeltaPercent() : row.p95DeltaPercent();
        if (std::isnan(percent))
            return DisplayFormat::signedLatency(number);
        return tr("%1 (%2%)").arg(DisplayFormat::signedLatency(number), signedNumber(percent, 0));
    }
    case AToolCalls:
    case BToolCalls:
        return QString::number(number, 'f', 1);
    default:
        return DisplayFormat::latency(number);
    }
}

QVariant AbComparisonModel::toolTip(int row, int column) const
{
    if (direction(column) == Better::None)
        return {};
    const std::optional<Model> better = betterModel(row, column);
    const Comparison& comparison = m_rows.at(row);
    if (!better) {
        const bool missing = comparison.a.requests == 0 || comparison.b.requests == 0;
        return missing ? tr("Not enough requests to compare") : tr("Both models are equal");
    }

    const QString winner = modelLabel(*better);
    const QString loser = modelLabel(*better == Model::A ? Model::B : Model::A);
    switch (direction(column)) {
    case Better::Higher:
        return tr("%1 succeeds %2 points more often than %3")
            .arg(winner, QString::number(std::abs(comparison.successDelta()), 'f', 1), loser);
    default: {
        const bool median = column <= MedianDelta;
        const double delta = median ? comparison.medianDelta() : comparison.p95Delta();
        return (median ? tr("%1 is faster than %3 at the median by %2")
                       : tr("%1 is faster than %3 at the 95th percentile by %2"))
            .arg(winner, DisplayFormat::latency(std::abs(delta)), loser);
    }
    }
}

QVariant AbComparisonModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Comparison& row = m_rows.at(index.row());
    const int column = index.column();

    switch (role) {
    case Qt::DisplayRole:
        return text(row, column);
    case Qt::ToolTipRole:
        return toolTip(index.row(), column);
    case Qt::TextAlignmentRole:
        return column == Group ? QVariant() : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ForegroundRole: {
        const std::optional<Model> better = betterModel(index.row(), column);
        const bool winner = better && better == columnModel(column);
        return winner ? DisplayFormat::color(DisplayFormat::Tone::Good) : QVariant();
    }
    case SortRole:
        if (column == Group)
            return text(row, column);
        if (column == ARequests || column == BRequests)
            return value(row, column);
        return sortKey(value(row, column).toDouble());
    case GroupRole:
        return row.group;
    case OverallRole:
        return row.isOverall();
    case BetterModelRole: {
        const std::optional<Model> better = betterModel(index.row(), column);
        return better ? QVariant(int(*better)) : QVariant();
    }
    default:
        return {};
    }
}

QVariant AbComparisonModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    const bool delta = section == SuccessDelta || section == MedianDelta || section == P95Delta;
    if (role == Qt::ToolTipRole && delta)
        return tr("Model B minus Model A");
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Group:
        return tr("Group");
    case ARequests:
        return tr("A requests");
    case BRequests:
        return tr("B requests");
    case ASuccess:
        return tr("A success");
    case BSuccess:
        return tr("B success");
    case SuccessDelta:
        return tr("\u0394 success");
    case AMedian:
        return tr("A median");
    case BMedian:
        return tr("B median");
    case MedianDelta:
        return tr("\u0394 median");
    case AP95:
        return tr("A p95");
    case BP95:
        return tr("B p95");
    case P95Delta:
        return tr("\u0394 p95");
    case AToolCalls:
        return tr("A tool calls");
    case BToolCalls:
        return tr("B tool calls");
    default:
        return {};
    }
}

} // namespace aimload
