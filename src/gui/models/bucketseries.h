#pragma once

#include "charttypes.h"

#include <array>
#include <deque>
#include <vector>

namespace aimload {

// Requests summarised in fixed-width time buckets, aligned on multiples of the width since
// the epoch, never more than maxBuckets of them. A sliding series keeps the latest buckets
// and forgets older ones; a growing series widens its buckets along ladderWidth() instead,
// so it covers everything it was given.
class BucketSeries
{
public:
    enum class Mode
    {
        Sliding,
        Growing
    };

    static constexpr int HistogramBins = 13;
    static constexpr int FailuresKept = 20; // failed requests kept per model and bucket

    // Latency of one model in one bucket. The median is exact up to ExactValues requests,
    // then read from log-spaced bins 10^(1/24) apart (within about 5%).
    struct LatencySummary
    {
        static constexpr int ExactValues = 32;

        int count = 0;
        int failures = 0;
        double sumMs = 0.0;
        double minMs = 0.0;
        double maxMs = 0.0;
        QList<float> exact; // every latency while fine is empty
        std::vector<quint32> fine;
        std::array<int, HistogramBins> histogram {};
        QList<LatencyPoint> failed;

        void add(qint64 timeMs, double latencyMs, bool isFailure);
        void merge(const LatencySummary& other);
        double median() const;

    private:
        void spill();
    };

    struct Bucket
    {
        QList<int> perGroup;
        std::array<LatencySummary, 2> models;

        int requests() const { return models[0].count + models[1].count; }
        void merge(const Bucket& other);
    };

    // widthMs must be a width of the ladder.
    BucketSeries(Mode mode, qint64 widthMs, int maxBuckets);

    void add(qint64 timeMs, int group, Model model, double latencyMs, bool isFailure);
    void clear();

    qint64 widthMs() const { return m_widthMs; }
    bool isEmpty() const { return m_buckets.empty(); }
    qint64 firstStartMs() const { return m_firstIndex * m_widthMs; }
    qint64 lastEndMs() const { return (m_firstIndex + qint64(m_buckets.size())) * m_widthMs; }
    int bucketCount() const { return int(m_buckets.size()); }

    // count buckets of widthMs (a multiple of widthMs()) from the one starting at startMs,
    // each the merge of the buckets of this series inside it.
    std::vector<Bucket> window(qint64 startMs, qint64 widthMs, int count) const;

    // The smallest width of the ladder 1 s, 2 s, 10 s, 30 s, 1 min, 2 min, 10 min, 30 min,
    // 1 h, 2 h, 6 h, 12 h, 1 d, then doubling, that is at least minimumMs. Each width is a
    // multiple of the one before, so buckets of one nest in buckets of the next.
    static qint64 ladderWidth(qint64 minimumMs);
    static int histogramBin(double latencyMs);
    static double histogramUpperMs(int bin);

private:
    Bucket* bucketFor(qint64 timeMs);
    void slideTo(qint64 index);
    void growTo(qint64 timeMs);
    void coarsen(qint64 widthMs);
    qint64 lastIndex() const { return m_firstIndex + qint64(m_buckets.size()) - 1; }

    Mode m_mode;
    qint64 m_widthMs;
    int m_maxBuckets;
    qint64 m_firstIndex = 0;
    std::deque<Bucket> m_buckets;
};

} // namespace aimload
