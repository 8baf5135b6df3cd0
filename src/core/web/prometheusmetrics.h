#pragma once

#include "agent/requestrecord.h"

#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QString>

#include <array>
#include <map>
#include <optional>

class QUrl;

namespace aimload {

struct CycleInfo;
class LoadEngine;

// The counters and latency histograms that /metrics exposes, rendered in the Prometheus
// text format 0.0.4. Series are keyed by group, model, endpoint and outcome, so their
// number is bounded by the prompt pool and never grows with the traffic.
class PrometheusMetrics : public QObject
{
    Q_OBJECT

public:
    // Upper bounds of the latency buckets in seconds; +Inf follows. Agent answers take
    // from a tenth of a second to the client's deadline of several minutes.
    static constexpr std::array<double, 13> DurationBuckets {
        0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600};
    // Upper bounds of the cycle start delay buckets in seconds; +Inf follows. A timer
    // wakes a fraction of a millisecond late; more is a busy or suspended machine.
    static constexpr std::array<double, 8> StartDelayBuckets {
        0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 1};

    explicit PrometheusMetrics(QObject* parent = nullptr);
    ~PrometheusMetrics() override;

    // Follows the engine's requests, and reads its cycle counters and next slot on render().
    void attach(LoadEngine* engine);
    void setAgentUrl(const QUrl& url); // user name and password are left out
    void setVersion(const QString& version);

    void recordRequestStarted(const RequestRecord& record);
    void recordRequestFinished(const RequestRecord& record);
    // How late a scheduled cycle started after its grid point; triggered ones are left out.
    void recordCycleStarted(const CycleInfo& cycle);
    // Connects to RequestSender::healthChecked.
    void recordHealthCheck(bool healthy);

    QByteArray render() const;

    static QByteArray contentType(); // text/plain; version=0.0.4; charset=utf-8
    static QByteArray escapeLabelValue(const QString& value);

private:
    struct Series
    {
        quint64 requests = 0;
        // Latency of the requests that ended other than cancelled, per bucket (not cumulative).
        std::array<quint64, DurationBuckets.size() + 1> buckets {};
        quint64 observations = 0;
        double sumSeconds = 0.0;
    };

    void renderRequests(QByteArray& out) const;
    void renderDurations(QByteArray& out) const;
    void renderEngine(QByteArray& out) const;
    void renderAgent(QByteArray& out) const;

    QPointer<LoadEngine> m_engine;
    QString m_version;
    QString m_agentUrl;
    // Keyed by the rendered label set, which keeps the output in a stable order.
    std::map<QByteArray, Series> m_series;
    QSet<quint64> m_inFlight;
    std::array<quint64, StartDelayBuckets.size() + 1> m_startDelayBuckets {}; // not cumulative
    quint64 m_startDelayCount = 0;
    double m_startDelaySumSeconds = 0.0;
    quint64 m_healthChecks = 0;
    std::optional<bool> m_agentUp;
};

} // namespace aimload
