#pragma once

#include <QCoreApplication>
#include <QString>

namespace aimload {

class ReportRecorder;

// One self-contained HTML file: summary, statistics, A/B comparison, failures and charts
// as inline SVG. It loads nothing (no script, font, image or style sheet from anywhere; a
// Content-Security-Policy says so to the browser too), and every text that came from
// prompts, the pool file, the agent or its errors is escaped.
class HtmlReport
{
    Q_DECLARE_TR_FUNCTIONS(HtmlReport)

public:
    // Writes atomically; on failure returns false with a one-line error naming the file.
    static bool write(const QString& path, const ReportRecorder& recorder, QString* error);
    static QString toHtml(const ReportRecorder& recorder);

    // Safe as element text and as a double- or single-quoted attribute value.
    static QString escape(const QString& text);
};

} // namespace aimload
