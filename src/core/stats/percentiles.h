#pragma once

#include <QList>

namespace aimload {

// Exact order statistics over every sample (no sketches, no buckets).
// percentile(p) is the nearest-rank value: the smallest sample such that at least p% of
// the samples are less than or equal to it, i.e. sorted[ceil(p/100 * n) - 1].
class Percentiles
{
public:
    void add(double value);
    qsizetype count() const { return m_values.size(); }
    bool isEmpty() const { return m_values.isEmpty(); }

    double percentile(double p) const;
    double median() const { return percentile(50.0); }
    double min() const;
    double max() const;
    double mean() const;

private:
    void sort() const;

    mutable QList<double> m_values;
    mutable bool m_sorted = true;
    double m_sum = 0.0;
};

} // namespace aimload
