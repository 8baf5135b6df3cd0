#include "report/htmlreport.h"

#include "config/duration.h"
#include "report/abcomparison.h"
#include "report/atomicfilewriter.h"
#include "report/reportrecorder.h"
#include "report/svgchart.h"

#include <cmath>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

const QString Style = uR"(
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;
color:#222;background:#fff}
h1{font-size:22px;margin-bottom:4px}
h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
p.note{color:#666;margin-top:0}
dl.summary{display:grid;grid-template-columns:max-content auto;gap:4px 20px}
dl.summary dt{font-weight:600}
dl.summary dd{margin:0;overflow-wrap:anywhere}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:8px 0}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right;vertical-align:top}
th{background:#f4f4f4}
.text{text-align:left}
tr.sum td{background:#fafafa;font-weight:600}
td.error{white-space:pre-wrap;overflow-wrap:anywhere;max-width:60em}
.better{color:#22772a}
.worse{color:#b3261e}
svg.chart{width:100%;max-width:880px;height:auto;font:11px sans-serif}
svg .grid{stroke:#e6e6e6}
svg .axis{fill:#555}
ul.legend{list-style:none;padding:0;margin:4px 0 16px;display:flex;flex-wrap:wrap;gap:4px 18px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:5px}
)"_s;

QString ms(double value)
{
    return std::isnan(value) ? u"–"_s : QString::number(qRound64(value));
}

QString decimal(double value, int decimals)
{
    return std::isnan(value) ? u"–"_s : QString::number(value, 'f', decimals);
}

QString percent(double rate)
{
    return std::isnan(rate) ? u"–"_s : QString::number(rate * 100.0, 'f', 1) + u" %"_s;
}

QString signedText(double value, const QString& number)
{
    return value > 0.0 ? u'+' + number : number;
}

// A difference, with a class saying whether B did better or worse than A.
QString differenceCell(double value, const QString& text, bool higherIsBetter)
{
    if (std::isnan(value))
        return u"<td>–</td>"_s;
    QString cls;
    if (value != 0.0)
        cls = (value > 0.0) == higherIsBetter ? u" class=\"better\""_s : u" class=\"worse\""_s;
    return u"<td%1>%2</td>"_s.arg(cls, HtmlReport::escape(text));
}

QString dateTime(const QDateTime& at)
{
    return at.isValid() ? at.toUTC().toString(u"yyyy-MM-dd HH:mm:ss"_s) + u" UTC"_s : u"–"_s;
}

QString cell(const QString& text, bool isText = false)
{
    return (isText ? u"<td class=\"text\">"_s : u"<td>"_s) + HtmlReport::escape(text) + u"</td>"_s;
}

QString headerCells(const QStringList& headers, qsizetype textColumns)
{
    QString html;
    for (qsizetype i = 0; i < headers.size(); ++i) {
        html += (i < textColumns ? u"<th class=\"text\">"_s : u"<th>"_s)
            + HtmlReport::escape(headers.at(i)) + u"</th>"_s;
    }
    return html;
}

QString summaryItem(const QString& label, const QString& value)
{
    return u"<dt>%1</dt><dd>%2</dd>"_s.arg(HtmlReport::escape(label), HtmlReport::escape(value));
}

QString runState(const ReportRecorder& recorder)
{
    const ReportRunInfo& info = recorder.runInfo();
    if (!info.endedAt.isValid())
        return recorder.isRunning() ? HtmlReport::tr("still running")
                                    : HtmlReport::tr("not started");
    QString text = dateTime(info.endedAt);
    if (!info.endReason.isEmpty())
        text += u" ("_s + info.endReason + u')';
    return text;
}

QString summarySection(const ReportRecorder& recorder)
{
    const ReportRunInfo& info = recorder.runInfo();
    const RunCounts& counts = recorder.counts();
    const StatsRow total = recorder.stats().total();

    QString limits;
    if (info.cycleLimit)
        limits += HtmlReport::tr("%n cycle(s)", nullptr, *info.cycleLimit);
    if (info.runTimeLimit) {
        limits += (limits.isEmpty() ? QString() : u", "_s)
            + HtmlReport::tr("run time %1").arg(formatDuration(*info.runTimeLimit));
    }
    const QString agent = info.simulated
        ? HtmlReport::tr("%1 (simulated agent)").arg(info.agentUrlText())
        : info.agentUrlText();
    const QString pacing
        = HtmlReport::tr("%1 per cycle, A/B %2, %n user(s)", nullptr, info.users)
              .arg(formatDuration(info.pacing),
                  info.abOrder == AbOrder::Sequential ? HtmlReport::tr("sequential")
                                                      : HtmlReport::tr("parallel"));
    const QString cycles
        = HtmlReport::tr("%1 completed (%2 triggered by hand, %3 with failures), %4 slots skipped")
              .arg(QString::number(counts.cyclesCompleted), QString::number(counts.cyclesTriggered),
                  QString::number(counts.cyclesWithFailures), QString::number(counts.slotsSkipped));
    const QString requests
        = HtmlReport::tr("%1 finished, %2 failed (%3), %4 cancelled")
              .arg(QString::number(total.requests), QString::number(total.failures),
                  percent(total.requests > 0 ? total.failureRate() : std::nan("")),
                  QString::number(counts.requestsCancelled));
    const QString pool = (info.poolSource.isEmpty() ? HtmlReport::tr("built in") : info.poolSource)
        + u": "_s + info.poolSummary;

    QString html = u"<h2>"_s + HtmlReport::escape(HtmlReport::tr("Summary"))
        + u"</h2><dl class=\"summary\">"_s;
    html += summaryItem(HtmlReport::tr("Started"), dateTime(info.startedAt));
    html += summaryItem(HtmlReport::tr("Ended"), runState(recorder));
    html
        += summaryItem(HtmlReport::tr("Last request finished"), dateTime(recorder.lastRequestAt()));
    html += summaryItem(HtmlReport::tr("Agent"), agent);
    html += summaryItem(HtmlReport::tr("Pacing"), pacing);
    if (!limits.isEmpty())
        html += summaryItem(HtmlReport::tr("Limits"), limits);
    html += summaryItem(HtmlReport::tr("Cycles"), cycles);
    html += summaryItem(HtmlReport::tr("Requests"), requests);
    html += summaryItem(HtmlReport::tr("Seed"), QString::number(info.seed));
    html += summaryItem(HtmlReport::tr("Prompt pool"), pool);
    return html + u"</dl>"_s;
}

QString statisticsSection(const ReportRecorder& recorder)
{
    const QStringList headers {HtmlReport::tr("Type"), HtmlReport::tr("Name"),
        HtmlReport::tr("# Requests"), HtmlReport::tr("# Fails"), HtmlReport::tr("Median (ms)"),
        HtmlReport::tr("90%ile (ms)"), HtmlReport::tr("95%ile (ms)"), HtmlReport::tr("99%ile (ms)"),
        HtmlReport::tr("Average (ms)"), HtmlReport::tr("Min (ms)"), HtmlReport::tr("Max (ms)"),
        HtmlReport::tr("Average size (bytes)"), HtmlReport::tr("Requests/s"),
        HtmlReport::tr("Failures/s")};
    // Indexes of 90, 95 and 99 in LocustPercentiles.
    constexpr std::size_t P90 = 4;
    constexpr std::size_t P95 = 5;
    constexpr std::size_t P99 = 7;
    static_assert(LocustPercentiles[P90] == 90.0 && LocustPercentiles[P95] == 95.0
        && LocustPercentiles[P99] == 99.0);

    QString html = u"<h2>"_s + HtmlReport::escape(HtmlReport::tr("Statistics")) + u"</h2>"_s;
    html += u"<p class=\"note\">"_s
        + HtmlReport::escape(HtmlReport::tr("Latency percentiles are exact (nearest rank) over "
                                            "every finished request, failures included; "
                                            "cancelled requests are not counted."))
        + u"</p>"_s;
    html += u"<div class=\"scroll\"><table><thead><tr>"_s + headerCells(headers, 2)
        + u"</tr></thead><tbody>"_s;
    const QList<LocustRow> rows = recorder.statsRows(true);
    for (const LocustRow& row : rows) {
        const bool sum = row.name == ReportRecorder::aggregatedName()
            || row.name == modelLabel(Model::A) || row.name == modelLabel(Model::B);
        html += sum ? u"<tr class=\"sum\">"_s : u"<tr>"_s;
        html += cell(row.type, true) + cell(row.name, true);
        html += cell(QString::number(row.requests)) + cell(QString::number(row.failures));
        html += cell(ms(row.medianMs)) + cell(ms(row.percentilesMs[P90]))
            + cell(ms(row.percentilesMs[P95])) + cell(ms(row.percentilesMs[P99]));
        html += cell(ms(row.averageMs)) + cell(ms(row.minMs)) + cell(ms(row.maxMs));
        html += cell(decimal(row.averageBytes, 0));
        html += cell(decimal(row.requestsPerSecond, 4)) + cell(decimal(row.failuresPerSecond, 4));
        html += u"</tr>"_s;
    }
    return html + u"</tbody></table></div>"_s;
}

QString comparisonRow(const AbComparisonRow& row)
{
    const QString group = row.group.isEmpty() ? HtmlReport::tr("All groups") : row.group;
    QString html = row.group.isEmpty() ? u"<tr class=\"sum\">"_s : u"<tr>"_s;
    html += cell(group, true);
    html += cell(QString::number(row.a.requests)) + cell(QString::number(row.b.requests));
    const double successA = AbComparisonRow::successRate(row.a);
    const double successB = AbComparisonRow::successRate(row.b);
    html += cell(percent(successA)) + cell(percent(successB));
    const double success = row.successDifference();
    html += differenceCell(
        success, signedText(success, QString::number(success * 100.0, 'f', 1)) + u" pp"_s, true);
    html += cell(ms(row.a.medianMs)) + cell(ms(row.b.medianMs));
    const double median = row.medianDifferenceMs();
    const double ratio = row.medianDifferenceRatio();
    QString medianText = signedText(median, ms(median));
    if (!std::isnan(ratio))
        medianText
            += u" ("_s + signedText(ratio, QString::number(ratio * 100.0, 'f', 1)) + u" %)"_s;
    html += differenceCell(median, medianText, false);
    html += cell(ms(row.a.p95Ms)) + cell(ms(row.b.p95Ms));
    const double p95 = row.p95DifferenceMs();
    html += differenceCell(p95, signedText(p95, ms(p95)), false);
    html += cell(decimal(row.a.averageToolCalls, 2)) + cell(decimal(row.b.averageToolCalls, 2));
    const double tools = row.toolCallsDifference();
    html += std::isnan(tools) ? u"<td>–</td>"_s
                              : cell(signedText(tools, QString::number(tools, 'f', 2)));
    return html + u"</tr>"_s;
}

QString comparisonSection(const ReportRecorder& recorder)
{
    const QString a = HtmlReport::tr("A");
    const QString b = HtmlReport::tr("B");
    const QString diff = HtmlReport::tr("B − A");
    QString html
        = u"<h2>"_s + HtmlReport::escape(HtmlReport::tr("Model A and Model B")) + u"</h2>"_s;
    html += u"<p class=\"note\">"_s
        + HtmlReport::escape(HtmlReport::tr("Differences are B minus A; green where B did "
                                            "better, red where it did worse."))
        + u"</p>"_s;
    html += u"<div class=\"scroll\"><table><thead><tr><th class=\"text\" rowspan=\"2\">%1</th>"
            "<th colspan=\"2\">%2</th><th colspan=\"3\">%3</th><th colspan=\"3\">%4</th>"
            "<th colspan=\"3\">%5</th><th colspan=\"3\">%6</th></tr><tr>"_s.arg(
                HtmlReport::escape(HtmlReport::tr("Group")),
                HtmlReport::escape(HtmlReport::tr("Requests")),
                HtmlReport::escape(HtmlReport::tr("Success")),
                HtmlReport::escape(HtmlReport::tr("Median (ms)")),
                HtmlReport::escape(HtmlReport::tr("95%ile (ms)")),
                HtmlReport::escape(HtmlReport::tr("Mean tool calls")));
    html += headerCells({a, b}, 0);
    for (int i = 0; i < 4; ++i)
        html += headerCells({a, b, diff}, 0);
    html += u"</tr></thead><tbody>"_s;
    const QList<AbComparisonRow> rows = compareModels(recorder.stats());
    for (const AbComparisonRow& row : rows)
        html += comparisonRow(row);
    return html + u"</tbody></table></div>"_s;
}

QString failuresSection(const ReportRecorder& recorder)
{
    QString html = u"<h2>"_s + HtmlReport::escape(HtmlReport::tr("Failures")) + u"</h2>"_s;
    const QList<FailureEntry> failures = recorder.failures();
    if (failures.isEmpty()) {
        return html + u"<p>"_s + HtmlReport::escape(HtmlReport::tr("No request failed."))
            + u"</p>"_s;
    }
    html += u"<div class=\"scroll\"><table><thead><tr>"_s
        + headerCells({HtmlReport::tr("Method"), HtmlReport::tr("Name"), HtmlReport::tr("Error"),
                          HtmlReport::tr("# Occurrences")},
            3)
        + u"</tr></thead><tbody>"_s;
    for (const FailureEntry& failure : failures) {
        html += u"<tr>"_s + cell(failure.method, true) + cell(failure.name, true)
            + u"<td class=\"error\">"_s + HtmlReport::escape(failure.error) + u"</td>"_s
            + cell(QString::number(failure.occurrences)) + u"</tr>"_s;
    }
    return html + u"</tbody></table></div>"_s;
}

QString legendItem(const QString& color, const QString& label)
{
    return u"<li><span class=\"swatch\" style=\"background:%1\"></span>%2</li>"_s.arg(
        color, HtmlReport::escape(label));
}

QString chart(const QString& title, const QString& svg, const QString& legend)
{
    QString html = u"<h3>"_s + HtmlReport::escape(title) + u"</h3>"_s;
    if (svg.isEmpty())
        return html + u"<p>"_s + HtmlReport::escape(HtmlReport::tr("No requests yet.")) + u"</p>"_s;
    return html + svg + u"<ul class=\"legend\">"_s + legend + u"</ul>"_s;
}

QString chartsSection(const ReportRecorder& recorder)
{
    const ActivityTimeline& timeline = recorder.timeline();
    QString groups;
    for (qsizetype i = 0; i < timeline.groups().size(); ++i)
        groups += legendItem(SvgChart::groupColor(i), timeline.groups().at(i));
    const QString models = legendItem(SvgChart::modelColor(0), HtmlReport::tr("Model A"))
        + legendItem(SvgChart::modelColor(1), HtmlReport::tr("Model B"));

    QString html = u"<h2>"_s + HtmlReport::escape(HtmlReport::tr("Charts")) + u"</h2>"_s;
    html += chart(HtmlReport::tr("Requests over time by group"),
        SvgChart::requestsOverTime(timeline), groups);
    html += chart(HtmlReport::tr("Latency per model over time (mean, with min to max)"),
        SvgChart::latencyOverTime(timeline), models);
    html += chart(HtmlReport::tr("Latency histogram per model"),
        SvgChart::latencyHistogram(recorder.histogram(Model::A), recorder.histogram(Model::B)),
        models);
    return html;
}

} // namespace

QString HtmlReport::escape(const QString& text)
{
    QString escaped = text.toHtmlEscaped();
    escaped.replace(u'\'', u"&#39;"_s);
    return escaped;
}

QString HtmlReport::toHtml(const ReportRecorder& recorder)
{
    const ReportRunInfo& info = recorder.runInfo();
    const QString title = info.startedAt.isValid()
        ? tr("aimload report, run of %1").arg(dateTime(info.startedAt))
        : tr("aimload report");

    QString html = u"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"_s;
    // Nothing in the page may load or run anything, even if some text escaped escaping.
    html += u"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'\">"_s;
    html += u"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"_s;
    html += u"<title>"_s + escape(title) + u"</title><style>"_s + Style + u"</style></head>\n"_s;
    html += u"<body><h1>"_s + escape(title) + u"</h1>"_s;
    html += u"<p class=\"note\">"_s
        + escape(tr("Generated %1 by aimload %2.")
                     .arg(dateTime(QDateTime::currentDateTimeUtc()),
                         QString::fromLatin1(AIMLOAD_VERSION)))
        + u"</p>\n"_s;
    html += summarySection(recorder) + u'\n';
    html += statisticsSection(recorder) + u'\n';
    html += comparisonSection(recorder) + u'\n';
    html += failuresSection(recorder) + u'\n';
    html += chartsSection(recorder) + u'\n';
    return html + u"</body></html>\n"_s;
}

bool HtmlReport::write(const QString& path, const ReportRecorder& recorder, QString* error)
{
    return AtomicFileWriter::write(path, toHtml(recorder).toUtf8(), error);
}

} // namespace aimload
