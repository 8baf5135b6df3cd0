#pragma once

#include <QString>
#include <QStringList>

namespace aimload {

// Cells and lines of RFC 4180 CSV as Python's csv module writes them (and so Locust):
// comma separated, CRLF line ends, quotes only where a cell needs them.
//
// Text that came from outside (prompts, pool names, agent answers, errors) goes through
// text(): a cell a spreadsheet would run as a formula, one starting with = + - @, a tab
// or a carriage return (or their full-width forms), gets a leading single quote, as
// OWASP advises against CSV injection. Numbers aimload formats itself go through
// number() or plain(), never neutralised, so "-1.5" stays a number.
class CsvFormat
{
public:
    static QString plain(const QString& cell); // quoted when it needs to be, nothing else
    static QString text(const QString& cell); // neutralised, then quoted when needed
    static QString number(double value, int maxDecimals); // shortest, no exponent; "" for NaN
    static QString line(const QStringList& cells); // joined, with "\r\n"
    static bool isFormulaLike(const QString& cell);
};

} // namespace aimload
