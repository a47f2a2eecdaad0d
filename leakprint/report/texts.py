"""The report's words in Japanese and English: headings of 規則8条1項, kinds, phrases."""

from __future__ import annotations

from fingerprints.normalizers import BUILTIN
from matchers.confidence import Confidence

#: The nine items of 規則8条1項 in their order (shared/notes/japan.md §6.1):
#: (Japanese heading, English heading).
ITEMS: tuple[tuple[str, str], ...] = (
    ("概要", "Summary"),
    ("漏えい等が発生し、又は発生したおそれがある個人データの項目",
     "Items of personal data leaked or possibly leaked"),
    ("漏えい等が発生し、又は発生したおそれがある個人データに係る本人の数",
     "Number of persons"),
    ("原因", "Cause"),
    ("二次被害又はそのおそれの有無及びその内容", "Secondary harm or its risk"),
    ("本人への対応の実施状況", "Action taken towards the persons"),
    ("公表の実施状況", "Public announcement"),
    ("再発防止のための措置", "Measures to prevent recurrence"),
    ("その他参考となる事項", "Other relevant matters"),
)

#: Field kinds as the report names the data items.
#: (``Normalizer.display_ja`` / ``display`` in the registry of kinds.)
KIND_WORDS: dict[str, dict[str, str]] = {
    "ja": {kind: cls.display_ja for kind, cls in BUILTIN.items()},
    "en": {kind: cls.display for kind, cls in BUILTIN.items()},
}

#: Confidence levels as the report names them.
LEVEL_WORDS: dict[str, dict[str, str]] = {
    "ja": {level.value: level.display_ja for level in Confidence.descending()},
    "en": {level.value: level.value for level in Confidence.descending()},
}

T: dict[str, dict[str, str]] = {
    "ja": {
        "title_preliminary": "個人データの漏えい等報告（速報）草案",
        "title_final": "個人データの漏えい等報告（確報）草案",
        "operator": "【事業者が記入】",
        "draft_note": ("この草案は leakprint が自らの記録（検出結果・スキャン記録）から作成した"
                       "ものです。顧客の値は一切含みません。提出前に事業者が内容を確認し、"
                       "【事業者が記入】の箇所を記入してください。"),
        "preliminary_note": "速報は、その時点で把握している内容を報告するものです。",
        "incident": "インシデント", "generated": "作成日時", "stage": "報告の段階",
        "stage_preliminary": "速報", "stage_final": "確報",
        "deadlines": "報告期限", "aware_on": "事態を知った日",
        "aware_unknown": ("未指定（`--aware-on YYYY-MM-DD` で指定すると期限を計算します。"
                          "いつ「知った」かは事業者が判断します）"),
        "prelim_due": "速報",
        "prelim_due_text": "速やかに（目安 3〜5 日：{start} 〜 遅くとも {end}）",
        "final_due": "確報", "final_due_text": "{days} 日以内：{date} まで",
        "wrongful_note": "（不正の目的によるおそれ：60 日）",
        "reportable": "報告対象か（規則7条）",
        "reportable_seen": "leakprint が判断できる基準",
        "reportable_operator": "事業者のみが判断できる基準",
        "crit_persons": "本人の数が 1,000 人を超える（7条4号）",
        "crit_financial": "財産的被害のおそれがある個人データ（カード番号等）を含む（7条2号）",
        "crit_sensitive": "要配慮個人情報を含む（7条1号）",
        "crit_wrongful": "不正の目的によるおそれ（7条3号）",
        "yes": "該当", "no": "非該当（leakprint の記録の範囲で）",
        "wrongful_given": "事業者の指定により該当（--wrongful）",
        "wrongful_hint": ("第三者のサイトで顧客の記録が流通しているため、不正の目的（持ち出し・"
                          "不正アクセス等）のおそれがあります。判断は事業者が行います。"),
        "sensitive_hint": "leakprint は要配慮個人情報の項目を照合していません。",
        "looks_reportable": "leakprint の記録からは報告対象と見られます。",
        "not_seen_reportable": ("leakprint の記録だけでは報告対象とは判断できません。"
                                "事業者のみが判断できる基準を確認してください。"),
        "summary_auto": ("incident #{id}「{name}」で監視している {sources} 件の情報源において、"
                         "当社の顧客データと一致する記録を含む文書を {docs} 件検出しました"
                         "（最も高い確度：{level}）。最初の検出は {first}、場所は {url}"
                         "（情報源：{source}）です。"),
        "summary_none": "incident #{id}「{name}」では、まだ検出結果がありません。",
        "summary_operator": "事態の経緯（発生・発覚の状況）",
        "items_auto": "一致した項目：{kinds}（データセット：{datasets}）",
        "items_none": "一致した項目はまだありません。",
        "items_operator": "一致しなかった列など、流出したファイルに含まれるその他の項目",
        "persons_auto": ("{n} 人（確度「{threshold}」以上で一致した異なる顧客レコードの数。"
                         "確度「{threshold}」未満の {low} 件は含みません）"),
        "persons_levels": "確度別：高 {high} 件、中 {medium} 件、低 {low} 件",
        "persons_bound": ("これは検出した文書で一致した数であり下限です。"
                          "流出した全体の数は事業者が確認してください。"),
        "cause_operator": "判明した原因",
        "attribution": "委託先の推定", "no_ledger": "委託先台帳がありません（推定なし）。",
        "harm_auto": ("顧客の記録は {docs} 件の文書、{sources} 件の情報源で確認されています"
                      "（最初の検出 {first}、最後の確認 {last}）。"),
        "harm_operator": "二次被害又はそのおそれの有無及びその内容",
        "persons_action_operator": "本人への通知等の実施状況",
        "refs_note": "通知の対象となる顧客の参照番号は付録に記載しています（--with-refs）。",
        "publication_operator": "公表の実施状況",
        "prevention_operator": "再発防止のための措置",
        "prevention_auto": "leakprint による監視を {end} まで継続しています（{state}）。",
        "state_open": "監視中", "state_closed": "監視終了",
        "sources": "監視している情報源", "coverage": "監視開始（{since}）以降のスキャン",
        "coverage_text": ("スキャン {runs} 回（成功 {ok}、失敗 {failed}、その他 {other}）、"
                          "取得ページ {pages}、取得エラー {errors}、読めなかった箇所 {gaps}。"
                          "最後のスキャン：{last}"),
        "coverage_none": "スキャンはまだ実行されていません。",
        "timeline": "時系列", "other_operator": "その他参考となる事項",
        "ev_opened": "監視（incident）開始", "ev_first": "最初の検出（finding #{id}）",
        "ev_finding": "検出（finding #{id}、{count} 件、確度 {level}）",
        "ev_alert": "最初の警告メール送信", "ev_closed": "監視終了",
        "ev_aware": "事態を知った日（事業者の指定）",
        "ev_prelim": "速報の期限（遅くとも）", "ev_final": "確報の期限",
        "appendix": "付録：証拠", "ap_findings": "検出結果", "ap_runs": "スキャン記録",
        "ap_refs": "本人の参照番号（--with-refs）",
        "col_id": "ID", "col_url": "URL（伏字化済み）", "col_source": "情報源",
        "col_first": "最初の検出", "col_level": "確度", "col_count": "レコード数",
        "col_kinds": "項目", "col_shape": "抜粋（形のみ）", "col_status": "結果",
        "col_started": "開始", "col_finished": "終了", "col_pages": "ページ",
        "col_errors": "エラー", "col_gaps": "読めなかった箇所", "col_dataset": "データセット",
        "col_ref": "参照番号",
        "runs_omitted": "これより前のスキャン {n} 回は一覧を省略しています（9 の集計に含みます）。",
        "none": "なし",
    },
    "en": {
        "title_preliminary": "Personal data leak report (preliminary) — draft",
        "title_final": "Personal data leak report (final) — draft",
        "operator": "[to be filled by the operator]",
        "draft_note": ("leakprint drafted this report from its own records (findings and scan "
                       "runs). It holds no customer value. Check it, and fill in every place "
                       "marked [to be filled by the operator], before filing."),
        "preliminary_note": "A preliminary report covers what is known at the time.",
        "incident": "Incident", "generated": "Drafted", "stage": "Stage",
        "stage_preliminary": "preliminary (速報)", "stage_final": "final (確報)",
        "deadlines": "Deadlines", "aware_on": "Became aware on",
        "aware_unknown": ("not given (`--aware-on YYYY-MM-DD` computes the deadlines; when "
                          "the business became aware is the operator's call)"),
        "prelim_due": "Preliminary", "prelim_due_text": ("promptly (guideline: 3–5 days: "
                                                         "{start} to {end} at the latest)"),
        "final_due": "Final", "final_due_text": "within {days} days: by {date}",
        "wrongful_note": " (suspected wrongful intent: 60 days)",
        "reportable": "Is it reportable? (Rule 7)",
        "reportable_seen": "Criteria leakprint can see",
        "reportable_operator": "Criteria only the operator can judge",
        "crit_persons": "More than 1,000 persons (Rule 7 item 4)",
        "crit_financial": ("Data whose misuse could cause financial loss, e.g. card numbers "
                           "(item 2)"),
        "crit_sensitive": "Sensitive personal information (item 1)",
        "crit_wrongful": "Suspected wrongful intent (item 3)",
        "yes": "met", "no": "not met (as far as leakprint's records go)",
        "wrongful_given": "met, as the operator says (--wrongful)",
        "wrongful_hint": ("The records circulate on third-party sites, which suggests wrongful "
                          "intent (exfiltration, unauthorised access); the operator decides."),
        "sensitive_hint": "leakprint does not match sensitive data items.",
        "looks_reportable": "On leakprint's records the leak looks reportable.",
        "not_seen_reportable": ("leakprint's records alone do not make it reportable; check the "
                                "criteria only the operator can judge."),
        "summary_auto": ("On the {sources} sources watched by incident #{id} \"{name}\", "
                         "leakprint found {docs} documents holding records of our customers "
                         "(highest confidence: {level}). First seen {first} at {url} "
                         "(source: {source})."),
        "summary_none": "Incident #{id} \"{name}\" has no findings yet.",
        "summary_operator": "how the leak happened and how it came to light",
        "items_auto": "Items matched: {kinds} (datasets: {datasets})",
        "items_none": "No items matched yet.",
        "items_operator": "other items in the leaked file (columns that did not match)",
        "persons_auto": ("{n} persons (distinct customer records matched at confidence "
                         "{threshold} or above; {low} below {threshold} not counted)"),
        "persons_levels": "By confidence: high {high}, medium {medium}, low {low}",
        "persons_bound": ("This counts the records matched in the documents found: a lower "
                          "bound. The operator confirms the full number."),
        "cause_operator": "the cause as established",
        "attribution": "Contractor attribution", "no_ledger": "No contractor ledger (no estimate).",
        "harm_auto": ("The records were seen in {docs} documents on {sources} sources "
                      "(first seen {first}, last seen {last})."),
        "harm_operator": "whether there is secondary harm or its risk, and what",
        "persons_action_operator": "notices to the persons and other action taken",
        "refs_note": "The references of the persons to notify are in the appendix (--with-refs).",
        "publication_operator": "whether and how the leak was announced",
        "prevention_operator": "measures to prevent recurrence",
        "prevention_auto": "leakprint keeps watching until {end} ({state}).",
        "state_open": "watch open", "state_closed": "watch closed",
        "sources": "Sources watched", "coverage": "Scans since the watch began ({since})",
        "coverage_text": ("{runs} scans ({ok} ok, {failed} failed, {other} other), {pages} "
                          "pages fetched, {errors} fetch errors, {gaps} places not read in "
                          "full. Last scan: {last}"),
        "coverage_none": "No scan has run yet.",
        "timeline": "Timeline", "other_operator": "other relevant matters",
        "ev_opened": "Watch (incident) opened", "ev_first": "First seen (finding #{id})",
        "ev_finding": "Found (finding #{id}, {count} records, confidence {level})",
        "ev_alert": "First alert e-mail sent", "ev_closed": "Watch closed",
        "ev_aware": "Became aware (the operator's date)",
        "ev_prelim": "Preliminary report due (latest)", "ev_final": "Final report due",
        "appendix": "Appendix: evidence", "ap_findings": "Findings", "ap_runs": "Scan runs",
        "ap_refs": "References of the persons (--with-refs)",
        "col_id": "ID", "col_url": "URL (redacted)", "col_source": "Source",
        "col_first": "First seen", "col_level": "Confidence", "col_count": "Records",
        "col_kinds": "Items", "col_shape": "Snippet (shape only)", "col_status": "Status",
        "col_started": "Started", "col_finished": "Finished", "col_pages": "Pages",
        "col_errors": "Errors", "col_gaps": "Not read", "col_dataset": "Dataset",
        "col_ref": "Reference",
        "runs_omitted": "{n} earlier scans are not listed (they are counted in item 9).",
        "none": "none",
    },
}
