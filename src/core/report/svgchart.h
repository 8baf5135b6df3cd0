#pragma once

#include <QCoreApplication>
#include <QString>
#include <QStringList>

namespace aimload {

class ActivityTimeline;
class LatencyHistogram;

// The HTML report's charts as inline SVG text: plain shapes with <title> tooltips, no
// script, nothing fetched. Every text from data is escaped. Each chart is empty text when
// there is nothing to draw.
class SvgChart
{
    Q_DECLARE_TR_FUNCTIONS(SvgChart)

public:
    static QString requestsOverTime(const ActivityTimeline& timeline);
    static QString latencyOverTime(const ActivityTimeline& timeline);
    static QString latencyHistogram(const LatencyHistogram& a, const LatencyHistogram& b);

    static QString groupColor(qsizetype index);
    static QString modelColor(int modelIndex); // 0: Model A, 1: Model B
};

} // namespace aimload
