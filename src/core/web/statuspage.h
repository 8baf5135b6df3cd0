#pragma once

#include <QByteArray>

namespace aimload {

// The live page served at "/": one self-contained HTML document whose inline script
// polls /api/stats and /api/requests. It loads nothing from elsewhere, and the policy
// returned by contentSecurityPolicy() lets the browser run only its own style and script.
class StatusPage
{
public:
    static QByteArray html();
    static QByteArray contentSecurityPolicy();
};

} // namespace aimload
