#pragma once

#include "agent/requestrecord.h"

#include <QObject>

namespace aimload {

// What the engine needs from whatever carries its requests: the agent client in a
// run, a scripted stand-in in tests of pacing.
class RequestSender : public QObject
{
    Q_OBJECT

public:
    using QObject::QObject;

    // Sends the request that record describes; record.id is unique among those in flight.
    virtual void send(RequestRecord record) = 0;
    // Ends the request at once; requestFinished() reports it as cancelled before this returns.
    virtual void cancel(quint64 id) = 0;
    virtual void cancelAll() = 0;
    virtual int inFlight() const = 0;
    virtual void probeHealth() = 0;

Q_SIGNALS:
    void requestSent(const aimload::RequestRecord& record);
    void requestFinished(const aimload::RequestRecord& record);
    void healthChecked(bool healthy, const QString& error);
};

} // namespace aimload
