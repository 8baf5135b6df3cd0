#include "sim/pythonjsonscanner.h"

using namespace Qt::StringLiterals;

namespace aimload::sim {

namespace {

bool isDigit(uint c)
{
    return c >= '0' && c <= '9';
}

bool isHexDigit(uint c)
{
    return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

} // namespace

PythonJsonScanner::PythonJsonScanner(const QString& text)
    : m_text(text.toUcs4())
{ }

std::optional<std::pair<QString, qsizetype>> PythonJsonScanner::error()
{
    qsizetype i = skipSpace(0);
    if (!value(i))
        return std::pair {m_message, m_position};
    i = skipSpace(i);
    if (i != m_text.size())
        return std::pair {u"Extra data"_s, i};
    return std::nullopt;
}

bool PythonJsonScanner::fail(const QString& message, qsizetype position)
{
    m_message = message;
    m_position = position;
    return false;
}

qsizetype PythonJsonScanner::skipSpace(qsizetype i) const
{
    while (at(i) == ' ' || at(i) == '\t' || at(i) == '\n' || at(i) == '\r')
        ++i;
    return i;
}

bool PythonJsonScanner::literal(qsizetype& i, QStringView word)
{
    for (qsizetype k = 0; k < word.size(); ++k) {
        if (at(i + k) != word.at(k).unicode())
            return false;
    }
    i += word.size();
    return true;
}

bool PythonJsonScanner::value(qsizetype& i)
{
    switch (at(i)) {
    case '"':
        return string(i);
    case '{':
        return object(i);
    case '[':
        return array(i);
    default:
        break;
    }
    for (QStringView word : {u"null", u"true", u"false", u"NaN", u"Infinity", u"-Infinity"}) {
        if (literal(i, word))
            return true;
    }
    return number(i);
}

bool PythonJsonScanner::number(qsizetype& i)
{
    qsizetype j = i;
    if (at(j) == '-')
        ++j;
    if (!isDigit(at(j)))
        return fail(u"Expecting value"_s, i);
    if (at(j) == '0') {
        ++j;
    } else {
        while (isDigit(at(j)))
            ++j;
    }
    if (at(j) == '.' && isDigit(at(j + 1))) {
        j += 2;
        while (isDigit(at(j)))
            ++j;
    }
    if (at(j) == 'e' || at(j) == 'E') {
        qsizetype k = j + 1;
        if (at(k) == '+' || at(k) == '-')
            ++k;
        if (isDigit(at(k))) {
            while (isDigit(at(k)))
                ++k;
            j = k;
        }
    }
    i = j;
    return true;
}

bool PythonJsonScanner::string(qsizetype& i)
{
    const qsizetype start = i++;
    while (true) {
        if (i >= m_text.size())
            return fail(u"Unterminated string starting at"_s, start);
        const uint c = m_text.at(i);
        if (c == '"') {
            ++i;
            return true;
        }
        if (c < 0x20)
            return fail(u"Invalid control character at"_s, i);
        if (c != '\\') {
            ++i;
            continue;
        }
        const uint escape = at(i + 1);
        if (escape == 0 && i + 1 >= m_text.size())
            return fail(u"Unterminated string starting at"_s, start);
        if (escape == 'u') {
            for (qsizetype k = i + 2; k < i + 6; ++k) {
                if (!isHexDigit(at(k)))
                    return fail(u"Invalid \\uXXXX escape"_s, i + 1);
            }
            i += 6;
        } else if (QStringView(u"\"\\/bfnrt").contains(QChar(escape))) {
            i += 2;
        } else {
            return fail(u"Invalid \\escape"_s, i);
        }
    }
}

bool PythonJsonScanner::object(qsizetype& i)
{
    i = skipSpace(i + 1);
    if (at(i) == '}') {
        ++i;
        return true;
    }
    while (true) {
        if (at(i) != '"')
            return fail(u"Expecting property name enclosed in double quotes"_s, i);
        if (!string(i))
            return false;
        i = skipSpace(i);
        if (at(i) != ':')
            return fail(u"Expecting ':' delimiter"_s, i);
        i = skipSpace(i + 1);
        if (!value(i))
            return false;
        i = skipSpace(i);
        if (at(i) == '}') {
            ++i;
            return true;
        }
        if (at(i) != ',')
            return fail(u"Expecting ',' delimiter"_s, i);
        i = skipSpace(i + 1);
    }
}

bool PythonJsonScanner::array(qsizetype& i)
{
    i = skipSpace(i + 1);
    if (at(i) == ']') {
        ++i;
        return true;
    }
    while (true) {
        if (!value(i))
            return false;
        i = skipSpace(i);
        if (at(i) == ']') {
            ++i;
            return true;
        }
        if (at(i) != ',')
            return fail(u"Expecting ',' delimiter"_s, i);
        i = skipSpace(i + 1);
    }
}

} // namespace aimload::sim
