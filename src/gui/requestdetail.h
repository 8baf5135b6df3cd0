#pragma once

#include "agent/requestrecord.h"

#include <QCoreApplication>
#include <QUrl>

namespace aimload {

// The detail pane's text for one request: the full prompt, the request as it went out and
// the agent's answer, as HTML for a QTextBrowser.
class RequestDetail
{
    Q_DECLARE_TR_FUNCTIONS(RequestDetail)

public:
    // agentUrl is the base URL the request was sent to; bodyKept is false once the table
    // has dropped the answer's body to bound its memory.
    static QString html(const RequestRecord& record, const QUrl& agentUrl, bool bodyKept);

    static QUrl requestUrl(const RequestRecord& record, const QUrl& agentUrl);
    static QString requestBody(const RequestRecord& record); // indented JSON, empty for /repair

private:
    static QString promptSection(const RequestRecord& record);
    static QString requestSection(const RequestRecord& record, const QUrl& agentUrl);
    static QString answerSection(const RequestRecord& record, bool bodyKept);
};

} // namespace aimload
