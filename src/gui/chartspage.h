#pragma once

#include "models/charttypes.h"

#include <QTimer>
#include <QWidget>

#include <array>
#include <memory>

class QAbstractAxis;
class QAreaSeries;
class QBarCategoryAxis;
class QBarSeries;
class QBarSet;
class QChart;
class QDateTimeAxis;
class QHorizontalBarSeries;
class QLineSeries;
class QScatterSeries;
class QValueAxis;

namespace Ui {
class ChartsPage;
}

namespace aimload {

class ChartData;

// Four charts over one time range: requests stacked by group, latency per model with
// failures marked, the latency distribution per model, and the observed group mix beside
// the configured weights. They draw from ChartData, whose size is bounded however long
// the run, and only while the page is on screen.
class ChartsPage : public QWidget
{
    Q_OBJECT

public:
    explicit ChartsPage(QWidget* parent = nullptr);
    ~ChartsPage() override;

    void setData(ChartData* data);
    ChartRange range() const;
    void setRange(ChartRange range);
    void redraw();

    static QColor modelColor(Model model);
    static QColor groupColor(int index);

protected:
    void showEvent(QShowEvent* event) override;
    void hideEvent(QHideEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    struct LatencyLine
    {
        QLineSeries* line = nullptr;
        QScatterSeries* points = nullptr;
        QScatterSeries* failures = nullptr;
    };

    void setupCharts();
    QChart* setupRequestsChart();
    QChart* setupLatencyChart();
    QChart* setupHistogramChart();
    QChart* setupMixChart();
    void applyTheme();
    void onDataUpdated();
    void drawRequests(const QDateTime& now);
    void drawLatency(const QDateTime& now);
    void drawHistogram(const QDateTime& now);
    void drawMix(const QDateTime& now);
    void rebuildGroupAreas(const QStringList& groups);
    void setTimeRange(QDateTimeAxis* axis, qint64 startMs, qint64 endMs);

    std::unique_ptr<Ui::ChartsPage> m_ui;
    ChartData* m_data = nullptr;
    bool m_dirty = true;
    QTimer m_slide; // moves the time window on while no request arrives

    QChart* m_requestsChart = nullptr;
    QDateTimeAxis* m_requestsTime = nullptr;
    QValueAxis* m_requestsCount = nullptr;
    QStringList m_areaGroups;
    QList<QAreaSeries*> m_groupAreas;

    QChart* m_latencyChart = nullptr;
    QDateTimeAxis* m_latencyTime = nullptr;
    QValueAxis* m_latencySeconds = nullptr;
    std::array<LatencyLine, 2> m_latency;

    QChart* m_histogramChart = nullptr;
    QBarSeries* m_histogramSeries = nullptr;
    std::array<QBarSet*, 2> m_histogramSets {};
    QBarCategoryAxis* m_histogramBins = nullptr;
    QValueAxis* m_histogramCount = nullptr;

    QChart* m_mixChart = nullptr;
    QHorizontalBarSeries* m_mixSeries = nullptr;
    QBarSet* m_observedSet = nullptr;
    QBarSet* m_configuredSet = nullptr;
    QBarCategoryAxis* m_mixGroups = nullptr;
    QValueAxis* m_mixPercent = nullptr;
};

} // namespace aimload
