#pragma once

#include "web/guardedtcpserver.h"
#include "web/recentrequests.h"

#include <QByteArray>
#include <QHttpServerRequest>
#include <QHttpServerResponse>
#include <QObject>
#include <QPointer>
#include <QString>

#include <optional>

class QHostAddress;
class QHttpServer;

namespace aimload {

class LoadEngine;
class PrometheusMetrics;
class StatsAggregator;

// The status endpoint: a live page at "/", JSON at /api/stats and /api/requests, the
// Prometheus metrics at /metrics and a liveness answer at /healthz. With a control token,
// POST /api/start, /api/stop and /api/trigger drive the engine for a client that presents
// it as a bearer token; without one they are refused. Every connection carries one request,
// checked by GuardedTcpServer before QHttpServer routes it.
class StatusServer : public QObject
{
    Q_OBJECT

public:
    static constexpr int DefaultRequestLimit = 50;
    static constexpr int MaxRequestLimit = 1000;

    // The engine, statistics and metrics are not owned; a null one leaves its part out
    // of the answers. An empty token disables the control routes.
    StatusServer(LoadEngine* engine, StatsAggregator* stats, PrometheusMetrics* metrics,
        const QString& controlToken, QObject* parent = nullptr);
    ~StatusServer() override;

    // Takes effect for listen() calls after it.
    void setLimits(const GuardedTcpServer::Limits& limits) { m_limits = limits; }

    // Listens once. On failure returns false and sets *error (when given) to one line
    // naming the address.
    bool listen(const QHostAddress& address, quint16 port, QString* error);
    bool isListening() const;
    quint16 port() const;
    bool controlEnabled() const { return !m_tokenHash.isEmpty(); }

private:
    using Handler = QHttpServerResponse (StatusServer::*)(const QHttpServerRequest&);

    void setupRoutes();
    void addRoute(const QString& path, QHttpServerRequest::Method method, Handler handler);

    QHttpServerResponse page(const QHttpServerRequest& request);
    QHttpServerResponse stats(const QHttpServerRequest& request);
    QHttpServerResponse requests(const QHttpServerRequest& request);
    QHttpServerResponse metrics(const QHttpServerRequest& request);
    QHttpServerResponse health(const QHttpServerRequest& request);
    QHttpServerResponse start(const QHttpServerRequest& request);
    QHttpServerResponse stop(const QHttpServerRequest& request);
    QHttpServerResponse trigger(const QHttpServerRequest& request);

    // An answer when the request may not use the controls, nothing when it may.
    std::optional<QHttpServerResponse> refuseControl(
        const QHttpServerRequest& request, const QString& action) const;
    QString stateName() const;

    QPointer<LoadEngine> m_engine;
    QPointer<StatsAggregator> m_stats;
    QPointer<PrometheusMetrics> m_metrics;
    QByteArray m_tokenHash; // SHA-256 of the control token; empty when control is off
    GuardedTcpServer::Limits m_limits;
    QHttpServer* m_http = nullptr;
    QPointer<GuardedTcpServer> m_tcp;
    RecentRequests m_recent {MaxRequestLimit};
};

} // namespace aimload
