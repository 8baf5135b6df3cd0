#include "stats/percentiles.h"

#include <algorithm>
#include <cmath>

namespace aimload {

void Percentiles::add(double value)
{
    if (m_sorted && !m_values.isEmpty() && value < m_values.constLast())
        m_sorted = false;
    m_values.append(value);
    m_sum += value;
}

void Percentiles::sort() const
{
    if (m_sorted)
        return;
    std::sort(m_values.begin(), m_values.end());
    m_sorted = true;
}

double Percentiles::percentile(double p) const
{
    if (m_values.isEmpty())
        return std::nan("");
    sort();
    const auto n = double(m_values.size());
    // p * n / 100 is exact for the usual p and n; the epsilon keeps 95 * 100 / 100 at 95
    // where a rounding error would make it 95.000000001 and take the next sample.
    const auto rank = qsizetype(std::ceil(std::clamp(p, 0.0, 100.0) * n / 100.0 - 1e-9));
    return m_values.at(std::clamp<qsizetype>(rank - 1, 0, m_values.size() - 1));
}

double Percentiles::min() const
{
    if (m_values.isEmpty())
        return std::nan("");
    sort();
    return m_values.constFirst();
}

double Percentiles::max() const
{
    if (m_values.isEmpty())
        return std::nan("");
    sort();
    return m_values.constLast();
}

double Percentiles::mean() const
{
    return m_values.isEmpty() ? std::nan("") : m_sum / double(m_values.size());
}

} // namespace aimload
