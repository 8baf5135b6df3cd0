#include "stats/statsaggregator.h"

#include <cmath>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

int modelIndex(Model model)
{
    return model == Model::A ? 0 : 1;
}

QString cell(double value, int decimals = 0)
{
    return std::isnan(value) ? u"-"_s : QString::number(value, 'f', decimals);
}

} // namespace

void StatsAggregator::Bucket::add(const RequestRecord& record)
{
    if (record.outcome == Outcome::Cancelled) {
        ++cancelled;
        return;
    }
    ++requests;
    failures += isFailure(record.outcome) ? 1 : 0;
    bytes += record.responseBytes;
    toolCalls += record.toolCallCount;
    latency.add(record.latencyMs);
}

StatsRow StatsAggregator::Bucket::row(const QString& group, std::optional<Model> model) const
{
    StatsRow row;
    row.group = group;
    row.model = model;
    row.requests = requests;
    row.failures = failures;
    row.cancelled = cancelled;
    row.medianMs = latency.median();
    row.p95Ms = latency.percentile(95.0);
    row.p99Ms = latency.percentile(99.0);
    row.averageMs = latency.mean();
    row.minMs = latency.min();
    row.maxMs = latency.max();
    row.averageBytes = requests > 0 ? double(bytes) / double(requests) : std::nan("");
    row.averageToolCalls = requests > 0 ? double(toolCalls) / double(requests) : std::nan("");
    return row;
}

StatsAggregator::StatsAggregator(QObject* parent)
    : QObject(parent)
{ }

QString StatsAggregator::key(const QString& group, Model model)
{
    return group + u'\x1f' + modelLetter(model);
}

void StatsAggregator::setGroupOrder(const QStringList& groups)
{
    m_groupOrder = groups;
}

void StatsAggregator::add(const RequestRecord& record)
{
    if (!record.finished())
        return;
    if (!m_groupOrder.contains(record.group))
        m_groupOrder.append(record.group);
    m_buckets[key(record.group, record.model)].add(record);
    m_modelTotals[modelIndex(record.model)].add(record);
    m_total.add(record);
}

QList<StatsRow> StatsAggregator::rows() const
{
    QList<StatsRow> rows;
    for (const QString& group : m_groupOrder) {
        for (const Model model : {Model::A, Model::B}) {
            const auto it = m_buckets.constFind(key(group, model));
            if (it != m_buckets.cend())
                rows.append(it->row(group, model));
        }
    }
    return rows;
}

StatsRow StatsAggregator::modelTotal(Model model) const
{
    return m_modelTotals[modelIndex(model)].row(QString(), model);
}

StatsRow StatsAggregator::total() const
{
    return m_total.row(QString(), std::nullopt);
}

double StatsAggregator::percentile(const StatsRow& row, double p) const
{
    if (!row.model)
        return m_total.latency.percentile(p);
    if (row.group.isEmpty())
        return m_modelTotals[modelIndex(*row.model)].latency.percentile(p);
    const auto it = m_buckets.constFind(key(row.group, *row.model));
    return it == m_buckets.cend() ? std::nan("") : it->latency.percentile(p);
}

QString StatsAggregator::summaryTable() const
{
    const QStringList headers {u"Group"_s, u"Model"_s, u"Reqs"_s, u"Fails"_s, u"Cancel"_s,
        u"Med ms"_s, u"p95 ms"_s, u"p99 ms"_s, u"Avg ms"_s, u"Min ms"_s, u"Max ms"_s};
    QList<QStringList> lines;
    const auto addRow = [&lines](const StatsRow& row) {
        const QString model = row.model ? QString(modelLetter(*row.model)).toUpper() : u"A+B"_s;
        const QString fails = u"%1 (%2%)"_s.arg(row.failures)
                                  .arg(QString::number(row.failureRate() * 100.0, 'f', 1));
        lines.append({row.group.isEmpty() ? u"Aggregated"_s : row.group, model,
            QString::number(row.requests), fails, QString::number(row.cancelled),
            cell(row.medianMs), cell(row.p95Ms), cell(row.p99Ms), cell(row.averageMs),
            cell(row.minMs), cell(row.maxMs)});
    };
    const QList<StatsRow> groupRows = rows();
    for (const StatsRow& row : groupRows)
        addRow(row);
    addRow(modelTotal(Model::A));
    addRow(modelTotal(Model::B));
    addRow(total());

    QList<qsizetype> widths;
    for (const QString& header : headers)
        widths.append(header.size());
    for (const QStringList& line : std::as_const(lines)) {
        for (qsizetype i = 0; i < line.size(); ++i)
            widths[i] = std::max(widths[i], line.at(i).size());
    }

    const auto format = [&widths](const QStringList& line) -> QString {
        QString text;
        for (qsizetype i = 0; i < line.size(); ++i) {
            const bool left = i < 2;
            text += left ? line.at(i).leftJustified(widths[i])
                         : line.at(i).rightJustified(widths[i]);
            text += i + 1 < line.size() ? u"  "_s : QString();
        }
        return text.trimmed() + u'\n';
    };
    QString table = format(headers);
    qsizetype ruleWidth = 2 * (widths.size() - 1);
    for (const qsizetype width : std::as_const(widths))
        ruleWidth += width;
    table += QString(ruleWidth, u'-') + u'\n';
    for (qsizetype i = 0; i < lines.size(); ++i) {
        if (i == groupRows.size())
            table += QString(ruleWidth, u'-') + u'\n';
        table += format(lines.at(i));
    }
    return table;
}

} // namespace aimload
