#include "chartspage.h"
#include "ui_chartspage.h"

#include "models/chartdata.h"
#include "models/displayformat.h"

#include <QAreaSeries>
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QDateTimeAxis>
#include <QEvent>
#include <QHorizontalBarSeries>
#include <QLegendMarker>
#include <QLineSeries>
#include <QScatterSeries>
#include <QValueAxis>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

constexpr auto SlideInterval = std::chrono::seconds(30);
constexpr qint64 DayMs = 24 * 3600 * 1000;

QChart* newChart(const QString& title)
{
    auto* chart = new QChart;
    chart->setTitle(title);
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->setBackgroundVisible(false);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->legend()->setAlignment(Qt::AlignBottom);
    return chart;
}

QString bucketText(qint64 ms)
{
    if (ms % DayMs == 0)
        return ChartsPage::tr("%n day(s)", nullptr, int(ms / DayMs));
    if (ms % 3'600'000 == 0)
        return ChartsPage::tr("%n hour(s)", nullptr, int(ms / 3'600'000));
    if (ms % 60'000 == 0)
        return ChartsPage::tr("%n minute(s)", nullptr, int(ms / 60'000));
    return ChartsPage::tr("%n second(s)", nullptr, int(ms / 1000));
}

double niceCeiling(double value)
{
    if (value <= 0)
        return 1.0;
    const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
    for (const double step : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        if (value <= step * magnitude)
            return step * magnitude;
    }
    return 10.0 * magnitude;
}

// Bins named by their upper bound in seconds ("<0.25", "<1", "≥120"): short enough to fit
// under a bar, where the full ranges would be cut off. Axis labels are rich text, hence
// the escaping.
QStringList binLabels(const LatencyHistogram& histogram)
{
    QStringList labels;
    for (qsizetype bin = 0; bin < histogram.upperMs.size(); ++bin) {
        const double upper = histogram.upperMs.at(bin);
        if (std::isfinite(upper))
            labels.append(u"&lt;"_s + QLocale().toString(upper / 1000.0, 'g', 3));
        else
            labels.append(u"≥"_s
                + QLocale().toString(bin > 0 ? histogram.upperMs.at(bin - 1) / 1000.0 : 0, 'g', 3));
    }
    return labels;
}

void replaceSet(QBarSet* set, const QList<qreal>& values)
{
    set->remove(0, set->count());
    set->append(values);
}

} // namespace

ChartsPage::ChartsPage(QWidget* parent)
    : QWidget(parent)
    , m_ui(std::make_unique<Ui::ChartsPage>())
{
    m_ui->setupUi(this);
    setupCharts();
    applyTheme();
    m_slide.setInterval(SlideInterval);
    connect(&m_slide, &QTimer::timeout, this, &ChartsPage::redraw);
    connect(m_ui->rangeCombo, &QComboBox::currentIndexChanged, this, &ChartsPage::redraw);
}

ChartsPage::~ChartsPage() = default;

QColor ChartsPage::modelColor(Model model)
{
    return model == Model::A ? QColor(0x3b, 0x82, 0xc4) : QColor(0xe8, 0x83, 0x3a);
}

QColor ChartsPage::groupColor(int index)
{
    static const QColor colors[] = {QColor(0x4e, 0x79, 0xa7), QColor(0xf2, 0x8e, 0x2b),
        QColor(0xe1, 0x57, 0x59), QColor(0x76, 0xb7, 0xb2), QColor(0x59, 0xa1, 0x4f),
        QColor(0xed, 0xc9, 0x48), QColor(0xb0, 0x7a, 0xa1), QColor(0xff, 0x9d, 0xa7),
        QColor(0x9c, 0x75, 0x5f), QColor(0xba, 0xb0, 0xac)};
    return colors[index % std::size(colors)];
}

void ChartsPage::setupCharts()
{
    for (QChartView* view :
        {m_ui->requestsView, m_ui->latencyView, m_ui->histogramView, m_ui->mixView}) {
        view->setRenderHint(QPainter::Antialiasing);
        view->setMinimumSize(320, 220);
    }
    m_ui->requestsView->setChart(setupRequestsChart());
    m_ui->latencyView->setChart(setupLatencyChart());
    m_ui->histogramView->setChart(setupHistogramChart());
    m_ui->mixView->setChart(setupMixChart());
}

QChart* ChartsPage::setupRequestsChart()
{
    m_requestsChart = newChart(tr("Requests over time, stacked by group"));
    m_requestsTime = new QDateTimeAxis(m_requestsChart);
    m_requestsTime->setTickCount(5);
    m_requestsCount = new QValueAxis(m_requestsChart);
    m_requestsCount->setLabelFormat(u"%d"_s);
    m_requestsCount->setTitleText(tr("Requests per bucket"));
    m_requestsChart->addAxis(m_requestsTime, Qt::AlignBottom);
    m_requestsChart->addAxis(m_requestsCount, Qt::AlignLeft);
    m_requestsChart->legend()->setAlignment(Qt::AlignRight);
    return m_requestsChart;
}

QChart* ChartsPage::setupLatencyChart()
{
    m_latencyChart = newChart(tr("Latency per model (▲ marks a failed request)"));
    m_latencyTime = new QDateTimeAxis(m_latencyChart);
    m_latencyTime->setTickCount(5);
    m_latencySeconds = new QValueAxis(m_latencyChart);
    m_latencySeconds->setTitleText(tr("Seconds"));
    m_latencySeconds->setLabelFormat(u"%.0f"_s);
    m_latencyChart->addAxis(m_latencyTime, Qt::AlignBottom);
    m_latencyChart->addAxis(m_latencySeconds, Qt::AlignLeft);

    for (const Model model : {Model::A, Model::B}) {
        LatencyLine& line = m_latency[int(model)];
        line.line = new QLineSeries(m_latencyChart);
        line.line->setName(modelLabel(model));
        line.points = new QScatterSeries(m_latencyChart);
        line.points->setMarkerShape(QScatterSeries::MarkerShapeCircle);
        line.points->setMarkerSize(6);
        line.failures = new QScatterSeries(m_latencyChart);
        line.failures->setName(tr("%1 failed").arg(modelLabel(model)));
        line.failures->setMarkerShape(QScatterSeries::MarkerShapeTriangle);
        line.failures->setMarkerSize(11);
        for (QXYSeries* series : {static_cast<QXYSeries*>(line.line),
                 static_cast<QXYSeries*>(line.points), static_cast<QXYSeries*>(line.failures)}) {
            m_latencyChart->addSeries(series);
            series->attachAxis(m_latencyTime);
            series->attachAxis(m_latencySeconds);
        }
        m_latencyChart->legend()->markers(line.points).constFirst()->setVisible(false);
    }
    return m_latencyChart;
}

QChart* ChartsPage::setupHistogramChart()
{
    m_histogramChart = newChart(tr("Latency distribution"));
    m_histogramSeries = new QBarSeries(m_histogramChart);
    for (const Model model : {Model::A, Model::B}) {
        m_histogramSets[int(model)] = new QBarSet(modelLabel(model), m_histogramSeries);
        m_histogramSeries->append(m_histogramSets[int(model)]);
    }
    m_histogramBins = new QBarCategoryAxis(m_histogramChart);
    m_histogramBins->setTitleText(tr("Latency, seconds"));
    m_histogramCount = new QValueAxis(m_histogramChart);
    m_histogramCount->setLabelFormat(u"%d"_s);
    m_histogramCount->setTitleText(tr("Requests"));
    m_histogramChart->addSeries(m_histogramSeries);
    m_histogramChart->addAxis(m_histogramBins, Qt::AlignBottom);
    m_histogramChart->addAxis(m_histogramCount, Qt::AlignLeft);
    m_histogramSeries->attachAxis(m_histogramBins);
    m_histogramSeries->attachAxis(m_histogramCount);
    return m_histogramChart;
}

QChart* ChartsPage::setupMixChart()
{
    m_mixChart = newChart(tr("Group mix: observed beside configured weight"));
    m_mixSeries = new QHorizontalBarSeries(m_mixChart);
    m_observedSet = new QBarSet(tr("Observed"), m_mixSeries);
    m_configuredSet = new QBarSet(tr("Configured"), m_mixSeries);
    m_mixSeries->append(m_observedSet);
    m_mixSeries->append(m_configuredSet);
    m_mixGroups = new QBarCategoryAxis(m_mixChart);
    m_mixPercent = new QValueAxis(m_mixChart);
    m_mixPercent->setLabelFormat(u"%.0f %%"_s);
    m_mixChart->addSeries(m_mixSeries);
    m_mixChart->addAxis(m_mixGroups, Qt::AlignLeft);
    m_mixChart->addAxis(m_mixPercent, Qt::AlignBottom);
    m_mixSeries->attachAxis(m_mixGroups);
    m_mixSeries->attachAxis(m_mixPercent);
    return m_mixChart;
}

void ChartsPage::applyTheme()
{
    const QChart::ChartTheme theme
        = DisplayFormat::isDarkPalette() ? QChart::ChartThemeDark : QChart::ChartThemeLight;
    for (QChart* chart : {m_requestsChart, m_latencyChart, m_histogramChart, m_mixChart}) {
        // A theme repaints every series and axis, so our own colours go on after it.
        chart->setTheme(theme);
        chart->setBackgroundVisible(false);
        chart->setTitleBrush(palette().color(QPalette::WindowText));
        chart->legend()->setLabelColor(palette().color(QPalette::WindowText));
    }
    for (const Model model : {Model::A, Model::B}) {
        const LatencyLine& line = m_latency[int(model)];
        QPen pen(modelColor(model), 1.5);
        line.line->setPen(pen);
        line.points->setColor(modelColor(model));
        line.points->setBorderColor(modelColor(model).darker(130));
        line.failures->setColor(DisplayFormat::color(DisplayFormat::Tone::Bad));
        line.failures->setBorderColor(modelColor(model));
        m_histogramSets[int(model)]->setColor(modelColor(model));
        m_histogramSets[int(model)]->setBorderColor(modelColor(model));
    }
    m_observedSet->setColor(QColor(0x59, 0xa1, 0x4f));
    m_configuredSet->setColor(palette().color(QPalette::Mid));
    for (int i = 0; i < m_groupAreas.size(); ++i) {
        m_groupAreas.at(i)->setColor(groupColor(i));
        m_groupAreas.at(i)->setBorderColor(groupColor(i).darker(120));
    }
}

void ChartsPage::setData(ChartData* data)
{
    m_data = data;
    connect(data, &ChartData::updated, this, &ChartsPage::onDataUpdated);
    redraw();
}

ChartRange ChartsPage::range() const
{
    switch (m_ui->rangeCombo->currentIndex()) {
    case 0:
        return ChartRange::LastHour;
    case 1:
        return ChartRange::LastDay;
    default:
        return ChartRange::All;
    }
}

void ChartsPage::setRange(ChartRange range)
{
    m_ui->rangeCombo->setCurrentIndex(
        range == ChartRange::LastHour ? 0 : (range == ChartRange::LastDay ? 1 : 2));
}

void ChartsPage::onDataUpdated()
{
    m_dirty = true;
    if (isVisible())
        redraw();
}

void ChartsPage::redraw()
{
    if (!m_data || !isVisible()) {
        m_dirty = true;
        return;
    }
    m_dirty = false;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    drawRequests(now);
    drawLatency(now);
    drawHistogram(now);
    drawMix(now);
}

void ChartsPage::setTimeRange(QDateTimeAxis* axis, qint64 startMs, qint64 endMs)
{
    const qint64 span = endMs - startMs;
    if (span <= 10 * 60'000)
        axis->setFormat(u"HH:mm:ss"_s);
    else
        axis->setFormat(span <= 2 * 3'600'000 ? u"HH:mm"_s : u"d MMM HH:mm"_s);
    const QDateTime start = QDateTime::fromMSecsSinceEpoch(startMs).toLocalTime();
    axis->setTitleText(
        span <= 2 * 3'600'000 ? QLocale().toString(start.date(), QLocale::LongFormat) : QString());
    axis->setRange(start, QDateTime::fromMSecsSinceEpoch(endMs).toLocalTime());
}

void ChartsPage::rebuildGroupAreas(const QStringList& groups)
{
    for (QAreaSeries* area : std::as_const(m_groupAreas)) {
        m_requestsChart->removeSeries(area);
        delete area;
    }
    m_groupAreas.clear();
    m_areaGroups = groups;
    for (int i = 0; i < groups.size(); ++i) {
        auto* upper = new QLineSeries;
        auto* lower = new QLineSeries;
        auto* area = new QAreaSeries(upper, lower);
        // The area does not own its edges; they go with it.
        upper->setParent(area);
        lower->setParent(area);
        area->setName(groups.at(i));
        m_requestsChart->addSeries(area);
        area->attachAxis(m_requestsTime);
        area->attachAxis(m_requestsCount);
        m_groupAreas.append(area);
    }
    applyTheme();
}

void ChartsPage::drawRequests(const QDateTime& now)
{
    const RequestSeries series = m_data->requests(range(), now);
    if (series.groups != m_areaGroups)
        rebuildGroupAreas(series.groups);

    // Each bucket is a flat step, so the stack reads like bars on a real time axis.
    QList<QList<QPointF>> edges(series.groups.size() + 1);
    int peak = 0;
    int total = 0;
    for (const RequestBucket& bucket : series.buckets) {
        int running = 0;
        for (int g = 0; g <= series.groups.size(); ++g) {
            edges[g].append(QPointF(qreal(bucket.startMs), running));
            edges[g].append(QPointF(qreal(bucket.endMs), running));
            if (g < series.groups.size())
                running += g < bucket.perGroup.size() ? bucket.perGroup.at(g) : 0;
        }
        // edges[g] is the lower edge of group g; the last one is the top of the stack.
        peak = std::max(peak, running);
        total += bucket.requests;
    }
    for (int g = 0; g < m_groupAreas.size(); ++g) {
        m_groupAreas.at(g)->lowerSeries()->replace(edges.at(g));
        QList<QPointF> upper = edges.at(g);
        for (int p = 0; p < upper.size(); ++p) {
            const int bucket = p / 2;
            const QList<int>& perGroup = series.buckets.at(bucket).perGroup;
            upper[p].ry() += g < perGroup.size() ? perGroup.at(g) : 0;
        }
        m_groupAreas.at(g)->upperSeries()->replace(upper);
    }
    setTimeRange(m_requestsTime, series.startMs, series.endMs);
    m_requestsCount->setRange(0, niceCeiling(peak));
    m_requestsCount->applyNiceNumbers();
    m_ui->summaryLabel->setText(series.bucketMs > 0
            ? tr("%n request(s) in this range, counted in buckets of %1.", nullptr, total)
                  .arg(bucketText(series.bucketMs))
            : tr("No requests in this range yet."));
}

void ChartsPage::drawLatency(const QDateTime& now)
{
    double peakMs = 0;
    qint64 startMs = 0;
    qint64 endMs = 0;
    for (const Model model : {Model::A, Model::B}) {
        const LatencySeries series = m_data->latency(model, range(), now);
        QList<QPointF> line;
        QList<QPointF> points;
        QList<QPointF> failures;
        line.reserve(series.points.size());
        for (const LatencyPoint& point : series.points) {
            const QPointF at(qreal(point.timeMs), point.latencyMs / 1000.0);
            line.append(at);
            if (!point.failed || series.downsampled)
                points.append(at);
            peakMs = std::max(peakMs, series.downsampled ? point.maxMs : point.latencyMs);
        }
        for (const LatencyPoint& point : series.failures) {
            failures.append(QPointF(qreal(point.timeMs), point.latencyMs / 1000.0));
            peakMs = std::max(peakMs, point.latencyMs);
        }
        LatencyLine& shown = m_latency[int(model)];
        shown.line->replace(line);
        shown.points->replace(points);
        shown.failures->replace(failures);
        shown.line->setName(series.downsampled ? tr("%1 (median per bucket)").arg(modelLabel(model))
                                               : modelLabel(model));
        startMs = series.startMs;
        endMs = series.endMs;
    }
    setTimeRange(m_latencyTime, startMs, endMs);
    const double peakSeconds = niceCeiling(peakMs / 1000.0 * 1.05);
    m_latencySeconds->setLabelFormat(
        peakSeconds < 1 ? u"%.2f"_s : (peakSeconds < 10 ? u"%.1f"_s : u"%.0f"_s));
    m_latencySeconds->setRange(0, peakSeconds);
    m_latencySeconds->applyNiceNumbers();
}

void ChartsPage::drawHistogram(const QDateTime& now)
{
    const LatencyHistogram histogram = m_data->histogram(range(), now);
    const QStringList labels = binLabels(histogram);
    if (m_histogramBins->categories() != labels) {
        m_histogramBins->clear();
        m_histogramBins->append(labels);
    }
    int peak = 0;
    for (const Model model : {Model::A, Model::B}) {
        QList<qreal> values;
        for (const int count : histogram.counts(model)) {
            values.append(count);
            peak = std::max(peak, count);
        }
        replaceSet(m_histogramSets[int(model)], values);
    }
    m_histogramCount->setRange(0, niceCeiling(peak));
    m_histogramCount->applyNiceNumbers();
}

void ChartsPage::drawMix(const QDateTime& now)
{
    const QList<GroupShare> mix = m_data->groupMix(range(), now);
    QStringList groups;
    QList<qreal> observed;
    QList<qreal> configured;
    double peak = 0;
    // A horizontal bar chart draws its first category at the bottom; the pool's first
    // group belongs at the top.
    for (auto share = mix.crbegin(); share != mix.crend(); ++share) {
        groups.append(share->group);
        observed.append(share->observed * 100.0);
        configured.append(share->configured * 100.0);
        peak = std::max({peak, share->observed * 100.0, share->configured * 100.0});
    }
    if (m_mixGroups->categories() != groups) {
        m_mixGroups->clear();
        m_mixGroups->append(groups);
    }
    replaceSet(m_observedSet, observed);
    replaceSet(m_configuredSet, configured);
    m_mixPercent->setRange(0, niceCeiling(peak));
    m_mixPercent->applyNiceNumbers();
}

void ChartsPage::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    m_slide.start();
    if (m_dirty)
        redraw();
}

void ChartsPage::hideEvent(QHideEvent* event)
{
    QWidget::hideEvent(event);
    m_slide.stop();
}

void ChartsPage::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        applyTheme();
}

} // namespace aimload
