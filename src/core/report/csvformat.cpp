#include "report/csvformat.h"

#include <cmath>

using namespace Qt::StringLiterals;

namespace aimload {

QString CsvFormat::plain(const QString& cell)
{
    const bool needsQuotes = cell.contains(u',') || cell.contains(u'"') || cell.contains(u'\r')
        || cell.contains(u'\n');
    if (!needsQuotes)
        return cell;
    QString quoted = cell;
    quoted.replace(u"\""_s, u"\"\""_s);
    return u'"' + quoted + u'"';
}

bool CsvFormat::isFormulaLike(const QString& cell)
{
    if (cell.isEmpty())
        return false;
    switch (cell.front().unicode()) {
    case u'=':
    case u'+':
    case u'-':
    case u'@':
    case u'\t':
    case u'\r':
    case 0xFF1D: // full-width = + - @, which some spreadsheets fold to the ASCII forms
    case 0xFF0B:
    case 0xFF0D:
    case 0xFF20:
        return true;
    default:
        return false;
    }
}

QString CsvFormat::text(const QString& cell)
{
    return plain(isFormulaLike(cell) ? u'\'' + cell : cell);
}

QString CsvFormat::number(double value, int maxDecimals)
{
    if (std::isnan(value) || std::isinf(value))
        return QString();
    QString text = QString::number(value, 'f', maxDecimals);
    if (text.contains(u'.')) {
        while (text.endsWith(u'0'))
            text.chop(1);
        if (text.endsWith(u'.'))
            text.chop(1);
    }
    return text == u"-0"_s ? u"0"_s : text;
}

QString CsvFormat::line(const QStringList& cells)
{
    return cells.join(u',') + u"\r\n"_s;
}

} // namespace aimload
