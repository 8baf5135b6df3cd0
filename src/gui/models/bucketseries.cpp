#include "bucketseries.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace aimload {

namespace {

constexpr int FineBins = 122;
constexpr double FineFloorMs = 10.0;
constexpr double FineBinsPerDecade = 24.0;

constexpr std::array<double, BucketSeries::HistogramBins> HistogramUpperMs {250.0, 500.0, 1000.0,
    2000.0, 3000.0, 5000.0, 8000.0, 13000.0, 20000.0, 30000.0, 60000.0, 120000.0,
    std::numeric_limits<double>::infinity()};

constexpr std::array<qint64, 13> Ladder {1'000, 2'000, 10'000, 30'000, 60'000, 120'000, 600'000,
    1'800'000, 3'600'000, 7'200'000, 21'600'000, 43'200'000, 86'400'000};

qint64 floorDiv(qint64 value, qint64 divisor)
{
    const qint64 quotient = value / divisor;
    return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient;
}

// Bin 0 holds everything under 10 ms, bin FineBins - 1 everything from 10^6 ms.
int fineBin(double ms)
{
    if (!(ms >= FineFloorMs))
        return 0;
    const int bin = 1 + int(std::floor(std::log10(ms / FineFloorMs) * FineBinsPerDecade));
    return std::clamp(bin, 1, FineBins - 1);
}

double fineLowerMs(int bin)
{
    return bin == 0 ? 0.0 : FineFloorMs * std::pow(10.0, double(bin - 1) / FineBinsPerDecade);
}

double fineUpperMs(int bin)
{
    return bin == FineBins - 1 ? std::numeric_limits<double>::infinity()
                               : FineFloorMs * std::pow(10.0, double(bin) / FineBinsPerDecade);
}

} // namespace

void BucketSeries::LatencySummary::add(qint64 timeMs, double latencyMs, bool isFailure)
{
    minMs = count == 0 ? latencyMs : std::min(minMs, latencyMs);
    maxMs = count == 0 ? latencyMs : std::max(maxMs, latencyMs);
    ++count;
    sumMs += latencyMs;
    ++histogram[size_t(histogramBin(latencyMs))];

    if (fine.empty() && exact.size() < ExactValues)
        exact.append(float(latencyMs));
    else {
        spill();
        ++fine[size_t(fineBin(latencyMs))];
    }

    if (!isFailure)
        return;
    ++failures;
    if (failed.size() < FailuresKept)
        failed.append({timeMs, latencyMs, latencyMs, latencyMs, 1, true});
}

void BucketSeries::LatencySummary::spill()
{
    if (!fine.empty())
        return;
    fine.assign(FineBins, 0);
    for (const float value : std::as_const(exact))
        ++fine[size_t(fineBin(value))];
    exact = QList<float>();
}

void BucketSeries::LatencySummary::merge(const LatencySummary& other)
{
    if (other.count == 0)
        return;
    if (count == 0) {
        *this = other;
        return;
    }

    minMs = std::min(minMs, other.minMs);
    maxMs = std::max(maxMs, other.maxMs);
    count += other.count;
    failures += other.failures;
    sumMs += other.sumMs;
    for (size_t i = 0; i < histogram.size(); ++i)
        histogram[i] += other.histogram[i];

    if (fine.empty() && other.fine.empty() && exact.size() + other.exact.size() <= ExactValues) {
        exact.append(other.exact);
    } else {
        spill();
        for (const float value : std::as_const(other.exact))
            ++fine[size_t(fineBin(value))];
        for (size_t i = 0; i < other.fine.size(); ++i)
            fine[i] += other.fine[i];
    }

    for (const LatencyPoint& point : other.failed) {
        if (failed.size() >= FailuresKept)
            break;
        failed.append(point);
    }
}

// Nearest rank, as Percentiles::median(): the ceil(n / 2)-th smallest value.
double BucketSeries::LatencySummary::median() const
{
    if (count == 0)
        return std::nan("");
    const qsizetype rank = (count + 1) / 2;
    if (fine.empty()) {
        QList<float> values = exact;
        std::nth_element(values.begin(), values.begin() + rank - 1, values.end());
        return values.at(rank - 1);
    }

    qsizetype before = 0;
    int bin = 0;
    while (bin < FineBins - 1 && before + qsizetype(fine[size_t(bin)]) < rank)
        before += fine[size_t(bin++)];
    // Spread the bin's values evenly on a log scale and take the one of the wanted rank.
    const double inBin = std::max<double>(1.0, fine[size_t(bin)]);
    const double fraction = (double(rank - before) - 0.5) / inBin;
    const double low = std::max(fineLowerMs(bin), minMs);
    const double high = std::min(fineUpperMs(bin), maxMs);
    if (!(high > low))
        return std::clamp(low, minMs, maxMs);
    const double value
        = low > 0.0 ? low * std::pow(high / low, fraction) : low + (high - low) * fraction;
    return std::clamp(value, minMs, maxMs);
}

void BucketSeries::Bucket::merge(const Bucket& other)
{
    if (perGroup.size() < other.perGroup.size())
        perGroup.resize(other.perGroup.size());
    for (qsizetype i = 0; i < other.perGroup.size(); ++i)
        perGroup[i] += other.perGroup.at(i);
    models[0].merge(other.models[0]);
    models[1].merge(other.models[1]);
}

BucketSeries::BucketSeries(Mode mode, qint64 widthMs, int maxBuckets)
    : m_mode(mode)
    , m_widthMs(widthMs)
    , m_maxBuckets(std::max(1, maxBuckets))
{
    Q_ASSERT(ladderWidth(widthMs) == widthMs);
}

qint64 BucketSeries::ladderWidth(qint64 minimumMs)
{
    for (const qint64 width : Ladder) {
        if (width >= minimumMs)
            return width;
    }
    qint64 width = Ladder.back();
    while (width < minimumMs)
        width *= 2;
    return width;
}

int BucketSeries::histogramBin(double latencyMs)
{
    const auto it = std::upper_bound(HistogramUpperMs.cbegin(), HistogramUpperMs.cend(), latencyMs);
    return int(std::min<qsizetype>(it - HistogramUpperMs.cbegin(), HistogramBins - 1));
}

double BucketSeries::histogramUpperMs(int bin)
{
    return HistogramUpperMs.at(size_t(bin));
}

void BucketSeries::clear()
{
    m_buckets.clear();
    m_firstIndex = 0;
}

void BucketSeries::add(qint64 timeMs, int group, Model model, double latencyMs, bool isFailure)
{
    Bucket* bucket = bucketFor(timeMs);
    if (!bucket)
        return;
    if (bucket->perGroup.size() <= group)
        bucket->perGroup.resize(group + 1);
    ++bucket->perGroup[group];
    bucket->models[model == Model::A ? 0 : 1].add(timeMs, latencyMs, isFailure);
}

BucketSeries::Bucket* BucketSeries::bucketFor(qint64 timeMs)
{
    if (m_buckets.empty()) {
        m_firstIndex = floorDiv(timeMs, m_widthMs);
        m_buckets.emplace_back();
        return &m_buckets.back();
    }

    if (m_mode == Mode::Growing)
        growTo(timeMs);
    const qint64 index = floorDiv(timeMs, m_widthMs);
    if (m_mode == Mode::Sliding)
        slideTo(index);
    if (index < m_firstIndex || index > lastIndex())
        return nullptr; // older than a sliding series remembers
    return &m_buckets[size_t(index - m_firstIndex)];
}

void BucketSeries::slideTo(qint64 index)
{
    if (index < m_firstIndex) {
        if (lastIndex() - index + 1 > m_maxBuckets)
            return;
        while (m_firstIndex > index) {
            m_buckets.emplace_front();
            --m_firstIndex;
        }
        return;
    }
    if (index <= lastIndex())
        return;
    if (index - m_maxBuckets + 1 > lastIndex()) {
        m_buckets.clear();
        m_firstIndex = index;
        m_buckets.emplace_back();
        return;
    }
    while (lastIndex() < index)
        m_buckets.emplace_back();
    while (int(m_buckets.size()) > m_maxBuckets) {
        m_buckets.pop_front();
        ++m_firstIndex;
    }
}

void BucketSeries::growTo(qint64 timeMs)
{
    const qint64 low = std::min(firstStartMs(), timeMs);
    const qint64 high = std::max(lastEndMs() - 1, timeMs);
    qint64 width = m_widthMs;
    while (floorDiv(high, width) - floorDiv(low, width) + 1 > m_maxBuckets)
        width = ladderWidth(width + 1);
    if (width != m_widthMs)
        coarsen(width);

    const qint64 index = floorDiv(timeMs, m_widthMs);
    while (index < m_firstIndex) {
        m_buckets.emplace_front();
        --m_firstIndex;
    }
    while (lastIndex() < index)
        m_buckets.emplace_back();
}

void BucketSeries::coarsen(qint64 widthMs)
{
    std::deque<Bucket> buckets;
    const qint64 firstIndex = floorDiv(firstStartMs(), widthMs);
    for (size_t i = 0; i < m_buckets.size(); ++i) {
        const qint64 startMs = (m_firstIndex + qint64(i)) * m_widthMs;
        const auto index = size_t(floorDiv(startMs, widthMs) - firstIndex);
        if (buckets.size() <= index)
            buckets.resize(index + 1);
        buckets[index].merge(m_buckets[i]);
    }
    m_buckets = std::move(buckets);
    m_firstIndex = firstIndex;
    m_widthMs = widthMs;
}

std::vector<BucketSeries::Bucket> BucketSeries::window(
    qint64 startMs, qint64 widthMs, int count) const
{
    std::vector<Bucket> window(size_t(std::max(0, count)));
    for (size_t i = 0; i < m_buckets.size(); ++i) {
        const Bucket& bucket = m_buckets[i];
        const qint64 bucketStartMs = (m_firstIndex + qint64(i)) * m_widthMs;
        if (bucket.requests() == 0 || bucketStartMs < startMs)
            continue;
        const qint64 index = (bucketStartMs - startMs) / widthMs;
        if (index >= count)
            break;
        window[size_t(index)].merge(bucket);
    }
    return window;
}

} // namespace aimload
