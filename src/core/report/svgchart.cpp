#include "report/svgchart.h"

#include "config/duration.h"
#include "report/activitytimeline.h"
#include "report/htmlreport.h"
#include "report/latencyhistogram.h"

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

constexpr double Width = 880.0;
constexpr double Height = 260.0;
constexpr double Left = 64.0;
constexpr double Right = 12.0;
constexpr double Top = 12.0;
constexpr double Bottom = 36.0;
constexpr double PlotWidth = Width - Left - Right;
constexpr double PlotHeight = Height - Top - Bottom;

QString coordinate(double value)
{
    return QString::number(value, 'f', 1);
}

// A round axis maximum and its step: 1, 2 or 5 times a power of ten, about four steps.
// Counts pass a smallest step of 1, so that no axis counts half a request.
std::pair<double, double> niceScale(double maximum, double smallestStep = 0.0)
{
    if (!(maximum > 0.0))
        return {1.0, std::max(0.25, smallestStep)};
    const double rough = std::max(maximum / 4.0, smallestStep);
    const double magnitude = std::pow(10.0, std::floor(std::log10(rough)));
    double step = magnitude;
    for (const double factor : {1.0, 2.0, 5.0, 10.0}) {
        step = factor * magnitude;
        if (step >= rough)
            break;
    }
    return {std::ceil(maximum / step) * step, step};
}

// Three significant digits or fewer, without trailing zeros and without an exponent.
QString shortNumber(double value)
{
    const int decimals = value < 10.0 ? 2 : (value < 100.0 ? 1 : 0);
    QString text = QString::number(value, 'f', decimals);
    if (text.contains(u'.')) {
        while (text.endsWith(u'0'))
            text.chop(1);
        if (text.endsWith(u'.'))
            text.chop(1);
    }
    return text;
}

QString msText(double ms)
{
    return ms >= 1000.0 ? shortNumber(ms / 1000.0) + u" s"_s : shortNumber(ms) + u" ms"_s;
}

QString timeText(const QDateTime& at, qint64 spanSeconds)
{
    return at.toUTC().toString(spanSeconds < 86400 ? u"HH:mm:ss"_s : u"MM-dd HH:mm"_s);
}

QString openSvg(const QString& label)
{
    return u"<svg class=\"chart\" viewBox=\"0 0 %1 %2\" role=\"img\" aria-label=\"%3\">"_s.arg(
        coordinate(Width), coordinate(Height), HtmlReport::escape(label));
}

QString yAxis(double maximum, double step, bool asLatency)
{
    QString svg;
    for (int i = 0; i * step <= maximum + step / 2.0; ++i) {
        const double value = i * step;
        const double y = Top + PlotHeight - value / maximum * PlotHeight;
        svg += u"<line class=\"grid\" x1=\"%1\" y1=\"%2\" x2=\"%3\" y2=\"%2\"/>"_s.arg(
            coordinate(Left), coordinate(y), coordinate(Left + PlotWidth));
        const QString label = asLatency ? msText(value) : QString::number(value, 'g', 6);
        svg += u"<text class=\"axis\" x=\"%1\" y=\"%2\" text-anchor=\"end\">%3</text>"_s.arg(
            coordinate(Left - 6.0), coordinate(y + 4.0), HtmlReport::escape(label));
    }
    return svg;
}

// caption has %1 for the width of a bin ("30s", "1h8m16s").
QString timeAxis(const ActivityTimeline& timeline, const QString& caption)
{
    const qsizetype bins = timeline.bins().size();
    const qint64 span = timeline.binSeconds() * bins;
    QString svg;
    const int labels = int(std::min<qsizetype>(bins, 5));
    for (int i = 0; i <= labels; ++i) {
        const double fraction = labels == 0 ? 0.0 : double(i) / double(labels);
        const qint64 offset = qint64(std::llround(fraction * double(span)));
        const double x = Left + fraction * PlotWidth;
        const QString anchor = i == 0 ? u"start"_s : (i == labels ? u"end"_s : u"middle"_s);
        svg += u"<text class=\"axis\" x=\"%1\" y=\"%2\" text-anchor=\"%3\">%4</text>"_s.arg(
            coordinate(x), coordinate(Height - Bottom + 16.0), anchor,
            HtmlReport::escape(timeText(timeline.start().addSecs(offset), span)));
    }
    svg += u"<text class=\"axis\" x=\"%1\" y=\"%2\" text-anchor=\"middle\">%3</text>"_s.arg(
        coordinate(Left + PlotWidth / 2.0), coordinate(Height - 4.0),
        HtmlReport::escape(
            caption.arg(formatDuration(std::chrono::seconds(timeline.binSeconds())))));
    return svg;
}

QString binRange(const ActivityTimeline& timeline, qsizetype bin)
{
    const QDateTime from = timeline.start().addSecs(bin * timeline.binSeconds());
    const QDateTime to = from.addSecs(timeline.binSeconds());
    const QString format = u"yyyy-MM-dd HH:mm:ss"_s;
    return SvgChart::tr("%1 to %2 UTC")
        .arg(from.toUTC().toString(format), to.toUTC().toString(format));
}

QString histogramEdge(double ms)
{
    return std::isinf(ms) ? u"∞"_s : msText(ms);
}

// One model's mean latency per bin as a line of points, each with a min-max whisker.
QString latencySeries(const ActivityTimeline& timeline, int model, double maximum)
{
    const auto yOf = [maximum](double ms) -> double {
        return Top + PlotHeight - std::min(ms, maximum) / maximum * PlotHeight;
    };
    const QList<ActivityTimeline::Bin>& bins = timeline.bins();
    const double binWidth = PlotWidth / double(bins.size());
    const QString color = SvgChart::modelColor(model);
    const QString label = model == 0 ? SvgChart::tr("Model A") : SvgChart::tr("Model B");
    QStringList points;
    QString marks;
    for (qsizetype b = 0; b < bins.size(); ++b) {
        const ActivityTimeline::Latency& latency = bins.at(b).latency[model];
        if (latency.count == 0)
            continue;
        // A and B sit a little apart, so their whiskers do not hide each other.
        const double x = Left + (double(b) + (model == 0 ? 0.4 : 0.6)) * binWidth;
        const double y = yOf(latency.meanMs());
        points.append(coordinate(x) + u',' + coordinate(y));
        const QString title = SvgChart::tr(
            "%1, %2: mean %3, min %4, max %5, %n request(s)", nullptr, int(latency.count))
                                  .arg(label, binRange(timeline, b), msText(latency.meanMs()),
                                      msText(latency.minMs), msText(latency.maxMs));
        marks += u"<line x1=\"%1\" y1=\"%2\" x2=\"%1\" y2=\"%3\" stroke=\"%4\" "
                 "stroke-opacity=\"0.35\"/>"_s.arg(coordinate(x), coordinate(yOf(latency.minMs)),
                     coordinate(yOf(latency.maxMs)), color);
        marks
            += u"<circle cx=\"%1\" cy=\"%2\" r=\"3\" fill=\"%3\"><title>%4</title></circle>"_s.arg(
                coordinate(x), coordinate(y), color, HtmlReport::escape(title));
    }
    QString svg;
    if (points.size() > 1) {
        svg = u"<polyline fill=\"none\" stroke=\"%1\" stroke-width=\"1.5\" points=\"%2\"/>"_s.arg(
            color, points.join(u' '));
    }
    return svg + marks;
}

} // namespace

QString SvgChart::groupColor(qsizetype index)
{
    static const QStringList palette {u"#4e79a7"_s, u"#f28e2b"_s, u"#59a14f"_s, u"#e15759"_s,
        u"#76b7b2"_s, u"#edc948"_s, u"#b07aa1"_s, u"#ff9da7"_s, u"#9c755f"_s, u"#bab0ac"_s};
    return palette.at(index % palette.size());
}

QString SvgChart::modelColor(int modelIndex)
{
    return modelIndex == 0 ? u"#1f6fb4"_s : u"#e0701b"_s;
}

QString SvgChart::requestsOverTime(const ActivityTimeline& timeline)
{
    if (timeline.isEmpty())
        return QString();
    const QList<ActivityTimeline::Bin>& bins = timeline.bins();
    qint64 highest = 0;
    for (const ActivityTimeline::Bin& bin : bins)
        highest = std::max(highest, bin.requests());
    const auto [maximum, step] = niceScale(double(highest), 1.0);

    QString svg = openSvg(tr("Requests over time, stacked by group"));
    svg += yAxis(maximum, step, false);
    const double barWidth = PlotWidth / double(bins.size());
    for (qsizetype b = 0; b < bins.size(); ++b) {
        const ActivityTimeline::Bin& bin = bins.at(b);
        double stacked = 0.0;
        for (qsizetype g = 0; g < bin.requestsPerGroup.size(); ++g) {
            const qint64 count = bin.requestsPerGroup.at(g);
            if (count == 0)
                continue;
            const double height = double(count) / maximum * PlotHeight;
            const double y = Top + PlotHeight - stacked - height;
            stacked += height;
            const QString title = tr("%1: %n request(s), %2", nullptr, int(count))
                                      .arg(timeline.groups().at(g), binRange(timeline, b));
            svg += u"<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" fill=\"%5\">"
                   "<title>%6</title></rect>"_s.arg(coordinate(Left + double(b) * barWidth),
                       coordinate(y), coordinate(std::max(barWidth - 1.0, 0.5)), coordinate(height),
                       groupColor(g), HtmlReport::escape(title));
        }
    }
    svg += timeAxis(timeline, tr("time (UTC), a bar per %1"));
    return svg + u"</svg>"_s;
}

QString SvgChart::latencyOverTime(const ActivityTimeline& timeline)
{
    if (timeline.isEmpty())
        return QString();
    const QList<ActivityTimeline::Bin>& bins = timeline.bins();
    // Scaled to the means, so one timeout does not flatten every other point; the
    // min-max whiskers are cut at the top edge.
    double highest = 0.0;
    for (const ActivityTimeline::Bin& bin : bins) {
        for (const ActivityTimeline::Latency& latency : bin.latency) {
            if (latency.count > 0)
                highest = std::max(highest, latency.meanMs() * 1.25);
        }
    }
    const auto [maximum, step] = niceScale(highest);

    QString svg = openSvg(tr("Latency per model over time"));
    svg += yAxis(maximum, step, true);
    svg += latencySeries(timeline, 0, maximum);
    svg += latencySeries(timeline, 1, maximum);
    svg += timeAxis(timeline, tr("time (UTC), a point per model every %1"));
    return svg + u"</svg>"_s;
}

QString SvgChart::latencyHistogram(const LatencyHistogram& a, const LatencyHistogram& b)
{
    if (a.total() == 0 && b.total() == 0)
        return QString();
    const LatencyHistogram* histograms[] = {&a, &b};
    qsizetype first = LatencyHistogram::BinCount;
    qsizetype last = -1;
    qint64 highest = 0;
    for (qsizetype bin = 0; bin < LatencyHistogram::BinCount; ++bin) {
        const qint64 count = std::max(a.count(bin), b.count(bin));
        if (count > 0) {
            first = std::min(first, bin);
            last = bin;
            highest = std::max(highest, count);
        }
    }
    const auto [maximum, step] = niceScale(double(highest), 1.0);

    QString svg = openSvg(tr("Latency histogram per model"));
    svg += yAxis(maximum, step, false);
    const qsizetype shown = last - first + 1;
    const double slot = PlotWidth / double(shown);
    const int labelEvery = int(std::max<qsizetype>(1, (shown + 7) / 8));
    for (qsizetype bin = first; bin <= last; ++bin) {
        const double x = Left + double(bin - first) * slot;
        const QString range = tr("%1 to %2")
                                  .arg(histogramEdge(LatencyHistogram::lowerEdgeMs(bin)),
                                      histogramEdge(LatencyHistogram::upperEdgeMs(bin)));
        for (int m = 0; m < 2; ++m) {
            const qint64 count = histograms[m]->count(bin);
            if (count == 0)
                continue;
            const double height = double(count) / maximum * PlotHeight;
            const QString title = tr("%1: %n request(s) from %2", nullptr, int(count))
                                      .arg(m == 0 ? tr("Model A") : tr("Model B"), range);
            svg += u"<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" fill=\"%5\">"
                   "<title>%6</title></rect>"_s.arg(
                       coordinate(x + 1.0 + double(m) * (slot - 2.0) / 2.0),
                       coordinate(Top + PlotHeight - height),
                       coordinate(std::max((slot - 2.0) / 2.0, 0.5)), coordinate(height),
                       modelColor(m), HtmlReport::escape(title));
        }
        if ((bin - first) % labelEvery == 0) {
            svg += u"<text class=\"axis\" x=\"%1\" y=\"%2\" text-anchor=\"start\">%3</text>"_s.arg(
                coordinate(x), coordinate(Height - Bottom + 16.0),
                HtmlReport::escape(histogramEdge(LatencyHistogram::lowerEdgeMs(bin))));
        }
    }
    svg += u"<text class=\"axis\" x=\"%1\" y=\"%2\" text-anchor=\"middle\">%3</text>"_s.arg(
        coordinate(Left + PlotWidth / 2.0), coordinate(Height - 4.0),
        HtmlReport::escape(tr("latency (bins on a log scale)")));
    return svg + u"</svg>"_s;
}

} // namespace aimload
