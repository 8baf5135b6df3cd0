#include "settingsdialog.h"
#include "ui_settingsdialog.h"

#include "appsettings.h"
#include "config/duration.h"
#include "guilogging.h"
#include "prompts/promptpool.h"

#include <QFileDialog>
#include <QPushButton>

using namespace Qt::StringLiterals;

namespace aimload {

struct SettingsDialog::Values
{
    bool useSimulator = false;
    QUrl url; // kept as it was when the simulator is chosen and the field is unusable
    double speed = 1.0;
    std::chrono::milliseconds pacing {};
    AbOrder abOrder = AbOrder::Sequential;
    int users = 1;
    std::chrono::milliseconds chatTimeout {};
    std::chrono::milliseconds repairTimeout {};
    QString promptsFile;
};

namespace {

struct Checked
{
    Options options;
    QString problem; // empty when the value is accepted
};

// Runs one value through the command line's own parser, so the dialog and the CLI
// accept exactly the same input.
Checked checkOption(const QString& option, const QString& value)
{
    const auto parsed
        = OptionsParser::parse({u"aimload"_s, u"--"_s + option, value}, QProcessEnvironment());
    if (parsed.action != OptionsParser::Action::Error)
        return {parsed.options, {}};
    // The parser names the option and repeats the value; the dialog names the field.
    const QString prefix = u"--%1 '%2': "_s.arg(option, value);
    return {{}, parsed.error.startsWith(prefix) ? parsed.error.mid(prefix.size()) : parsed.error};
}

QString stripMnemonic(QString label)
{
    label.remove(u'&');
    if (label.endsWith(u':'))
        label.chop(1);
    return label;
}

QString endpointText(const Prompt& prompt)
{
    if (prompt.endpoint == Endpoint::Chat)
        return endpointPath(prompt.endpoint);
    return u"%1?workflow=%2"_s.arg(endpointPath(prompt.endpoint), prompt.workflow);
}

} // namespace

SettingsDialog::SettingsDialog(AppSettings* settings, QWidget* parent)
    : QDialog(parent)
    , m_ui(std::make_unique<Ui::SettingsDialog>())
    , m_settings(settings)
{
    m_ui->setupUi(this);
    m_ui->poolTree->header()->setStretchLastSection(false);
    m_ui->poolTree->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_ui->poolTree->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_ui->poolTree->header()->setSectionResizeMode(2, QHeaderView::ResizeToContents);
    m_ui->poolTree->header()->setSectionResizeMode(3, QHeaderView::ResizeToContents);

    connect(m_ui->buttonBox, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(m_ui->agentRadio, &QRadioButton::toggled, this, &SettingsDialog::updateAgentFields);
    connect(m_ui->browseButton, &QPushButton::clicked, this, &SettingsDialog::browsePrompts);
    connect(m_ui->builtInButton, &QPushButton::clicked, this, &SettingsDialog::useBuiltInPrompts);
    connect(m_ui->promptsEdit, &QLineEdit::editingFinished, this, &SettingsDialog::showPool);
    m_initial = std::make_unique<Values>(storedValues(*settings));
    showValues(*m_initial);
}

SettingsDialog::~SettingsDialog() = default;

SettingsDialog::Values SettingsDialog::storedValues(const AppSettings& settings)
{
    Values values;
    values.useSimulator = settings.useSimulator();
    values.url = settings.agentUrl();
    values.speed = settings.simulatorSpeed();
    values.pacing = settings.pacing();
    values.abOrder = settings.abOrder();
    values.users = settings.users();
    values.chatTimeout = settings.chatTimeout();
    values.repairTimeout = settings.repairTimeout();
    values.promptsFile = settings.promptsFile();
    return values;
}

void SettingsDialog::showValues(const Values& values)
{
    m_ui->agentRadio->setChecked(!values.useSimulator);
    m_ui->simulatorRadio->setChecked(values.useSimulator);
    m_ui->urlEdit->setText(values.url.toString());
    m_ui->speedSpin->setValue(values.speed);
    m_ui->pacingEdit->setText(formatDuration(values.pacing));
    m_ui->abCombo->setCurrentIndex(values.abOrder == AbOrder::Parallel ? 1 : 0);
    m_ui->usersSpin->setValue(values.users);
    m_ui->chatTimeoutEdit->setText(formatDuration(values.chatTimeout));
    m_ui->repairTimeoutEdit->setText(formatDuration(values.repairTimeout));
    m_ui->promptsEdit->setText(values.promptsFile);
    updateAgentFields();
    showPool();
}

void SettingsDialog::setRunActive(bool active)
{
    m_ui->noticeLabel->setText(
        tr("A run is in progress. Saving restarts it with the new settings: requests still "
           "waiting for an answer are cancelled, and the results so far stay."));
    m_ui->noticeLabel->setVisible(active);
    m_ui->buttonBox->button(QDialogButtonBox::Save)
        ->setText(active ? tr("Save and Restart Run") : tr("&Save"));
}

void SettingsDialog::setOverridden(const QStringList& names, const Options& launch)
{
    Values& shown = *m_initial;
    QStringList labels;
    for (const QString& name : names) {
        if (name == u"host") {
            shown.useSimulator = launch.simulate;
            shown.url = launch.host;
            labels.append(tr("the agent"));
        } else if (name == u"sim-speed") {
            shown.speed = launch.simSpeed;
            labels.append(tr("the simulator's speed"));
        } else if (name == u"pacing") {
            shown.pacing = launch.pacing;
            labels.append(tr("the pacing"));
        } else if (name == u"ab") {
            shown.abOrder = launch.abOrder;
            labels.append(tr("the A/B order"));
        } else if (name == u"users") {
            shown.users = launch.users;
            labels.append(tr("the users"));
        } else if (name == u"chat-timeout") {
            shown.chatTimeout = launch.chatTimeout;
            labels.append(tr("the chat timeout"));
        } else if (name == u"repair-timeout") {
            shown.repairTimeout = launch.repairTimeout;
            labels.append(tr("the repair timeout"));
        } else if (name == u"prompts") {
            shown.promptsFile = launch.promptsFile;
            labels.append(tr("the prompt file"));
        }
    }
    showValues(shown);
    m_ui->overrideLabel->setText(
        tr("The command line, environment or --config file set %1 for this launch. They "
           "are shown below but stored only if you change them here.")
            .arg(QLocale().createSeparatedList(labels)));
    m_ui->overrideLabel->setVisible(!labels.isEmpty());
}

void SettingsDialog::updateAgentFields()
{
    const bool simulate = m_ui->simulatorRadio->isChecked();
    m_ui->urlEdit->setEnabled(!simulate);
    m_ui->speedSpin->setEnabled(simulate);
    m_ui->speedLabel->setEnabled(simulate);
}

void SettingsDialog::browsePrompts()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Choose a Prompt Pool"),
        m_ui->promptsEdit->text(), tr("Prompt pools (*.json);;All files (*)"));
    if (path.isEmpty())
        return;
    m_ui->promptsEdit->setText(path);
    showPool();
}

void SettingsDialog::useBuiltInPrompts()
{
    m_ui->promptsEdit->clear();
    showPool();
}

void SettingsDialog::showPool()
{
    const QString path = m_ui->promptsEdit->text().trimmed();
    if (path == m_shownPoolPath && m_ui->poolTree->topLevelItemCount() > 0)
        return;
    m_shownPoolPath = path;
    m_ui->poolTree->clear();

    QString error;
    const std::optional<PromptPool> pool
        = PromptPool::load(path.isEmpty() ? PromptPool::defaultPoolPath() : path, &error);
    if (!pool) {
        m_ui->poolSummaryLabel->setText(tr("Cannot use this prompt pool: %1").arg(error));
        return;
    }
    m_ui->poolSummaryLabel->setText(
        tr("%n prompt(s) in %1 groups, picked by group weight.", nullptr, pool->promptCount())
            .arg(pool->groups().size()));
    for (const PromptGroup& group : pool->groups()) {
        const double share = pool->totalWeight() > 0 ? group.weight / pool->totalWeight() : 0;
        auto* groupItem = new QTreeWidgetItem(m_ui->poolTree,
            {group.name, QLocale().toString(group.weight),
                QLocale().toString(share * 100.0, 'f', 1) + u" %"_s, QString()});
        for (const Prompt& prompt : group.prompts) {
            auto* item = new QTreeWidgetItem(groupItem,
                {prompt.description.isEmpty() ? prompt.id : prompt.description, QString(),
                    QString(), endpointText(prompt)});
            item->setToolTip(0, prompt.text.isEmpty() ? tr("(empty prompt)") : prompt.text);
        }
    }
}

QString SettingsDialog::problem() const
{
    return m_ui->errorLabel->isHidden() ? QString() : m_ui->errorLabel->text();
}

void SettingsDialog::showProblem(const QString& problem, QWidget* field)
{
    m_ui->errorLabel->setText(problem);
    m_ui->errorLabel->setVisible(!problem.isEmpty());
    QPalette palette = m_ui->errorLabel->palette();
    palette.setColor(QPalette::WindowText, QColor(0xd6, 0x45, 0x3d));
    m_ui->errorLabel->setPalette(palette);
    if (field)
        field->setFocus();
}

std::optional<SettingsDialog::Values> SettingsDialog::validate()
{
    Values values;
    const auto check
        = [this](const QString& option, QLineEdit* edit, QLabel* label) -> std::optional<Options> {
        const QString text = edit->text().trimmed();
        const Checked checked = checkOption(option, text);
        if (checked.problem.isEmpty())
            return checked.options;
        showProblem(
            tr("%1 '%2': %3").arg(stripMnemonic(label->text()), text, checked.problem), edit);
        return std::nullopt;
    };

    values.useSimulator = m_ui->simulatorRadio->isChecked();
    const QString urlText = m_ui->urlEdit->text().trimmed();
    values.url = m_initial->url;
    if (const Checked url = checkOption(u"host"_s, urlText); url.problem.isEmpty()) {
        values.url = url.options.host;
    } else if (!values.useSimulator) {
        showProblem(tr("Agent URL '%1': %2").arg(urlText, url.problem), m_ui->urlEdit);
        return std::nullopt;
    }
    const Checked speed = checkOption(u"sim-speed"_s, QString::number(m_ui->speedSpin->value()));
    if (!speed.problem.isEmpty()) {
        showProblem(tr("Speed: %1").arg(speed.problem), m_ui->speedSpin);
        return std::nullopt;
    }
    values.speed = speed.options.simSpeed;

    const auto pacing = check(u"pacing"_s, m_ui->pacingEdit, m_ui->pacingLabel);
    if (!pacing)
        return std::nullopt;
    values.pacing = pacing->pacing;
    const auto chat = check(u"chat-timeout"_s, m_ui->chatTimeoutEdit, m_ui->chatTimeoutLabel);
    if (!chat)
        return std::nullopt;
    values.chatTimeout = chat->chatTimeout;
    const auto repair
        = check(u"repair-timeout"_s, m_ui->repairTimeoutEdit, m_ui->repairTimeoutLabel);
    if (!repair)
        return std::nullopt;
    values.repairTimeout = repair->repairTimeout;
    values.abOrder = m_ui->abCombo->currentIndex() == 1 ? AbOrder::Parallel : AbOrder::Sequential;
    values.users = m_ui->usersSpin->value();

    values.promptsFile = m_ui->promptsEdit->text().trimmed();
    if (!values.promptsFile.isEmpty()) {
        QString error;
        if (!PromptPool::load(values.promptsFile, &error)) {
            showProblem(tr("Prompt file: %1").arg(error), m_ui->promptsEdit);
            return std::nullopt;
        }
    }
    showProblem({}, nullptr);
    return values;
}

void SettingsDialog::accept()
{
    const std::optional<Values> values = validate();
    if (!values) {
        qCDebug(lcGui) << "settings refused:" << problem();
        return;
    }
    save(*values);
    QDialog::accept();
}

void SettingsDialog::save(const Values& values)
{
    // Only what the user changed is stored: a value this launch's command line set stays
    // out of the stored settings unless it was edited here.
    const Values& initial = *m_initial;
    m_changed.clear();
    if (values.useSimulator != initial.useSimulator || values.url != initial.url) {
        m_settings->setUseSimulator(values.useSimulator);
        m_settings->setAgentUrl(values.url);
        m_changed.append(u"host"_s);
    }
    if (values.speed != initial.speed) {
        m_settings->setSimulatorSpeed(values.speed);
        m_changed.append(u"sim-speed"_s);
    }
    if (values.pacing != initial.pacing) {
        m_settings->setPacing(values.pacing);
        m_changed.append(u"pacing"_s);
    }
    if (values.abOrder != initial.abOrder) {
        m_settings->setAbOrder(values.abOrder);
        m_changed.append(u"ab"_s);
    }
    if (values.users != initial.users) {
        m_settings->setUsers(values.users);
        m_changed.append(u"users"_s);
    }
    if (values.chatTimeout != initial.chatTimeout) {
        m_settings->setChatTimeout(values.chatTimeout);
        m_changed.append(u"chat-timeout"_s);
    }
    if (values.repairTimeout != initial.repairTimeout) {
        m_settings->setRepairTimeout(values.repairTimeout);
        m_changed.append(u"repair-timeout"_s);
    }
    if (values.promptsFile != initial.promptsFile) {
        m_settings->setPromptsFile(values.promptsFile);
        m_changed.append(u"prompts"_s);
    }
    m_settings->sync();
    *m_initial = values;
}

} // namespace aimload
