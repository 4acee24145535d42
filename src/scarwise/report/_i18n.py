"""Report strings in English and Arabic, and locale-aware number, money and date formatting (Babel).

A dict-based catalogue: one key, one sentence per language, so a test can check that both
languages have every key and that every ``{placeholder}`` is the same in both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

from scarwise.core._checks import check_choice

LANGS = ("en", "ar")
#: Babel locales. CLDR has no ``en_SA``; plain ``en`` with the SAR currency gives "SAR 1,500".
LOCALES = {"en": "en", "ar": "ar_SA"}

EN: dict[str, str] = {
    "title": "Your acne scars and the treatment options",
    "subtitle": "A decision aid to read before you choose, and to discuss with your doctor",
    "clinic": "Clinic",
    "patient": "Patient",
    "date": "Date",
    "page": "Page",
    "of": "of",
    "not_advice": "This report informs a conversation with your doctor; it does not recommend one option. "
                  "Choosing no treatment is a reasonable choice.",
    "s_scan": "1. What the 3D scan shows",
    "map_caption": "Scar map: colours show height relative to the surrounding skin (blue deeper, red higher); "
                   "outlines mark each scar by type, numbers are scar ids. Scale bar: {mm} mm.",
    "type": "Type",
    "count": "Number",
    "icepick": "Icepick (narrow, deep)",
    "boxcar": "Boxcar (flat floor, steep walls)",
    "rolling": "Rolling (wide, sloping walls)",
    "hypertrophic": "Raised (hypertrophic)",
    "total_scars": "All scars",
    "grade_gb": "Goodman & Baron quantitative grade",
    "grade_ecca": "ECCA grade",
    "grade_note": "Grades count what a 3D scan can see; the doctor adds what it cannot (flat, coloured or "
                  "linear marks).",
    "change": "Change since your first scan",
    "visit": "Visit",
    "volume": "Total scar volume (mm³)",
    "no_visits": "Only one scan so far: change over time will appear after your next visit.",
    "s_options": "2. Your options side by side",
    "options_intro": "Expected benefit comes from pooling the published studies listed at the end. Where studies "
                     "cannot be pooled, the report says so and shows no number. A personal prediction for your "
                     "scars will appear here when the prediction model has been checked against this evidence.",
    "option": "Option",
    "evidence": "Evidence",
    "expected": "Expected benefit (interval)",
    "cost": "Cost range",
    "cat_none": "No treatment",
    "cat_conventional": "Conventional treatments",
    "cat_regenerative": "Regenerative (cell-derived) treatments",
    "cat_combination": "Combinations",
    "no_reliable": "No reliable evidence",
    "no_reliable_long": "No reliable evidence: no checked study of this option is in the evidence table, so no "
                        "benefit can be stated.",
    "not_pooled": "No reliable estimate",
    "not_pooled_long": "Studies exist but their results cannot be combined into one estimate (too few, or no "
                       "usable spread reported). What each study reported is listed below; no expected "
                       "benefit is stated.",
    "baseline_long": "No cost and no treatment side effects. The studies in this table treat both sides or "
                     "compare treatments; none follows untreated acne scars over time, so this report has no "
                     "number for how scars change on their own.",
    "studies_patients": "{k} studies, {n} patients",
    "study_patients": "{k} study, {n} patients",
    "pooled_label": "Pooled {measure} on {outcome}",
    "ci": "95% confidence interval",
    "pi": "95% prediction interval (a new clinic or patient group)",
    "favours_below": "Values below {null} favour the treatment; compared with: {comparator}.",
    "favours_above": "Values above {null} favour the treatment; compared with: {comparator}.",
    "no_effect": "no difference",
    "legend_est": "pooled estimate",
    "legend_pi": "prediction interval",
    "score_of": "{a} / {b}",
    "reported": "What each study reported, with its sessions (quoted; intervals not given)",
    "sessions_short": "sessions",  # inside an English quote in both languages
    "designs": "Designs",
    "adverse": "Side effects reported",
    "adverse_none": "Not reported in the studies listed.",
    "unverified_studies": "{k} further studies are listed but not yet checked; they are not used.",
    "prediction_slot": "Personal prediction for your scars: not available yet (the prediction model is still "
                       "being calibrated against the evidence).",
    "price_example": "Example price list, not this clinic's prices",
    "price_clinic": "Clinic price list",
    "price_missing": "Ask the clinic",
    "per_course": "for a course",
    "out_of": "{k} of {n} patients",
    "s_regulation": "3. Regulation and evidence status in plain words",
    "reg_checked": "Checked against the project's sourced notes on {date}. Items marked UNVERIFIED could not be "
                   "confirmed from a primary source.",
    "reg_1": "In Saudi Arabia the SFDA regulates biologics, which include somatic-cell and cellular therapies and "
             "human cells and tissues; biologics need marketing authorisation before they may be sold.",
    "reg_2": "The Ministry of Health stated that exosome products are allowed for external use on the skin only and "
             "that injecting them is not authorised by the SFDA; it suspended the licences of two physicians who "
             "promoted such injections (date of the statement UNVERIFIED).",
    "reg_3": "No explicit permission for cosmetic stem-cell treatment outside research was found. Our reading, not "
             "legal advice: injections of SVF, adipose-derived stem cells or exosomes for acne scars belong in an "
             "approved, ethics-reviewed clinical study.",
    "reg_4": "Whether same-day fat grafting with minimal processing counts as ordinary surgery: UNVERIFIED.",
    "reg_5": "Doctors must hold Saudi Commission for Health Specialties registration; cosmetic clinics must display "
             "each doctor's licence and give you a card after any cosmetic injection recording the substance, "
             "quantity, site and doctor.",
    "reg_6": "The US FDA warns that unapproved stem-cell and exosome products have caused blindness, tumours and "
             "infections, and that no exosome product is FDA-approved.",
    "reg_7": "Controlled studies of stem-cell-derived treatments for acne scars are few and small: {k} checked "
             "studies in this table, {lo} to {hi} patients each, most as add-ons to laser, microneedling or fat, "
             "with short follow-up. Rare harms cannot be seen in studies this small.",
    "s_questions": "4. Questions to ask the clinic",
    "q_1": "Is the doctor registered with the Saudi Commission for Health Specialties? May I see the licence?",
    "q_2": "Where does the product come from, what is its lot number, and is it authorised by the SFDA for "
           "injection?",
    "q_3": "If this is a cell or exosome treatment: is it part of an approved study? What is the ethics approval "
           "number?",
    "q_4": "How many sessions, how much downtime, and what will the whole course cost?",
    "q_5": "What happens if it does not work: a repeat, a refund, another treatment?",
    "q_6": "Who do I call if I have a side effect, and how is it recorded?",
    "s_values": "5. What matters most to you?",
    "values_intro": "Mark each line; bring this page to your appointment.",
    "v_1": "Getting the largest possible improvement",
    "v_2": "Avoiding downtime away from work or social life",
    "v_3": "Keeping the cost low",
    "v_4": "Avoiding needles, surgery or pain",
    "v_5": "Choosing treatments with strong evidence over newer, less tested ones",
    "v_6": "Waiting until better evidence is available",
    "v_low": "Not important",
    "v_high": "Very important",
    "s_notes": "Sources and notes",
    "note_measure": "Measured by scarwise from the 3D scan of {date} ({nx} × {ny} points, {dx} mm spacing). "
                    "Measurement uncertainty for this scanner has not been established.",
    "note_grade": "Grade computed from the scan; scale constants not yet checked against the primary papers "
                  "(UNVERIFIED). {sources}",
    "note_visit": "Scan of {date}, measured by scarwise.",
    "note_pool": "Random-effects meta-analysis ({method}) of {k} checked studies in evidence table {version}: {ids}. "
                 "Between-study variance tau² = {tau2}, I² = {i2}%.",
    "note_count": "Evidence table {version}: checked studies of this option (ids: {ids}).",
    "note_price": "{source}. Prices in Saudi riyals; confirm with the clinic before you decide.",
    "note_reg": "Source: clinical-evidence.md §{section} ({tag}).",
}

AR: dict[str, str] = {
    "title": "ندبات حب الشباب لديك وخيارات العلاج",
    "subtitle": "أداة مساعدة على اتخاذ القرار، تقرؤها قبل أن تختار وتناقشها مع طبيبك",
    "clinic": "العيادة",
    "patient": "المريض",
    "date": "التاريخ",
    "page": "صفحة",
    "of": "من",
    "not_advice": "هذا التقرير يساعدك في الحديث مع طبيبك، ولا يوصي بخيار بعينه. وعدم العلاج خيار معقول أيضاً.",
    "s_scan": "1. ما يُظهره المسح ثلاثي الأبعاد",
    "map_caption": "خريطة الندبات: تُظهر الألوان الارتفاع بالنسبة إلى الجلد المحيط (الأزرق أعمق، والأحمر أعلى)؛ "
                   "وتحدّد الخطوط كل ندبة حسب نوعها، والأرقام هي أرقام الندبات. مقياس الرسم: {mm} مم.",
    "type": "النوع",
    "count": "العدد",
    "icepick": "ندبات مثقبية (ضيقة وعميقة)",
    "boxcar": "ندبات صندوقية (قاع مسطح وجدران حادة)",
    "rolling": "ندبات متموجة (عريضة بجدران مائلة)",
    "hypertrophic": "ندبات بارزة (ضخامية)",
    "total_scars": "جميع الندبات",
    "grade_gb": "درجة غودمان وبارون الكمية",
    "grade_ecca": "درجة ECCA",
    "grade_note": "تحسب الدرجات ما يراه المسح ثلاثي الأبعاد؛ ويضيف الطبيب ما لا يراه (العلامات المسطحة أو "
                  "الملوّنة أو الخطية).",
    "change": "التغيّر منذ المسح الأول",
    "visit": "الزيارة",
    "volume": "الحجم الكلي للندبات (مم³)",
    "no_visits": "لديك مسح واحد حتى الآن: سيظهر التغيّر مع الوقت بعد زيارتك القادمة.",
    "s_options": "2. خياراتك جنباً إلى جنب",
    "options_intro": "تأتي الفائدة المتوقعة من الجمع الإحصائي للدراسات المنشورة المذكورة في آخر التقرير. وحيث لا "
                     "يمكن جمع الدراسات، يذكر التقرير ذلك ولا يعرض أي رقم. وسيظهر هنا توقّع شخصي لندباتك عندما "
                     "يُتحقق من نموذج التوقّع مقابل هذه الأدلة.",
    "option": "الخيار",
    "evidence": "الأدلة",
    "expected": "الفائدة المتوقعة (المجال)",
    "cost": "مجال التكلفة",
    "cat_none": "عدم العلاج",
    "cat_conventional": "العلاجات التقليدية",
    "cat_regenerative": "العلاجات التجديدية (المشتقة من الخلايا)",
    "cat_combination": "العلاجات المركّبة",
    "no_reliable": "لا توجد أدلة موثوقة",
    "no_reliable_long": "لا توجد أدلة موثوقة: لا توجد في جدول الأدلة دراسة مُتحقَّق منها لهذا الخيار، لذلك لا يمكن "
                        "ذكر أي فائدة.",
    "not_pooled": "لا يوجد تقدير موثوق",
    "not_pooled_long": "توجد دراسات، لكن لا يمكن جمع نتائجها في تقدير واحد (عددها قليل أو لم تذكر التشتت اللازم). "
                       "نذكر أدناه ما أفادت به كل دراسة، ولا نذكر فائدة متوقعة.",
    "baseline_long": "لا تكلفة ولا آثار جانبية للعلاج. الدراسات في هذا الجدول تعالج جانبي الوجه أو تقارن بين "
                     "العلاجات، ولا تتابع أيٌّ منها ندبات غير معالجة مع الوقت، لذا لا يقدّم هذا التقرير رقماً لتغيّر "
                     "الندبات من تلقاء نفسها.",
    "studies_patients": "{k} دراسات، {n} مريضاً",
    "study_patients": "دراسة واحدة، {n} مريضاً",
    "pooled_label": "{measure} مجمّع على {outcome}",
    "ci": "فترة الثقة 95٪",
    "pi": "فترة التنبؤ 95٪ (لعيادة أو مجموعة مرضى جديدة)",
    "favours_below": "القيم الأقل من {null} في صالح العلاج؛ المقارنة مع: {comparator}.",
    "favours_above": "القيم الأكبر من {null} في صالح العلاج؛ المقارنة مع: {comparator}.",
    "no_effect": "لا فرق",
    "legend_est": "التقدير المجمّع",
    "legend_pi": "فترة التنبؤ",
    "score_of": "{a} من {b}",
    "reported": "ما أفادت به كل دراسة مع عدد جلساتها (نص منقول بالإنجليزية؛ دون فترات ثقة)",
    "sessions_short": "sessions",  # inside an English quote in both languages
    "designs": "تصاميم الدراسات",
    "adverse": "الآثار الجانبية المبلّغ عنها",
    "adverse_none": "لم تُذكر في الدراسات المدرجة.",
    "unverified_studies": "توجد {k} دراسات أخرى مدرجة لم يُتحقق منها بعد، ولم تُستخدم.",
    "prediction_slot": "التوقّع الشخصي لندباتك: غير متاح بعد (ما زال نموذج التوقّع قيد المعايرة مقابل الأدلة).",
    "price_example": "قائمة أسعار مثال، وليست أسعار هذه العيادة",
    "price_clinic": "قائمة أسعار العيادة",
    "price_missing": "اسأل العيادة",
    "per_course": "للدورة العلاجية",
    "out_of": "{k} من {n} مرضى",
    "s_regulation": "3. الوضع التنظيمي وحالة الأدلة بكلمات بسيطة",
    "reg_checked": "رُوجعت هذه المعلومات مقابل ملاحظات المشروع الموثّقة بتاريخ {date}. البنود الموسومة بـ UNVERIFIED "
                   "(غير مُتحقَّق منها) لم يمكن تأكيدها من مصدر أولي.",
    "reg_1": "في المملكة العربية السعودية تنظّم الهيئة العامة للغذاء والدواء (SFDA) المستحضرات الحيوية، ومنها "
             "العلاجات بالخلايا الجسدية والعلاجات الخلوية والخلايا والأنسجة البشرية؛ ولا يجوز بيعها قبل الحصول على "
             "إذن تسويق.",
    "reg_2": "أعلنت وزارة الصحة أن منتجات الإكسوسومات مسموحة للاستخدام الخارجي على الجلد فقط، وأن حقنها غير مرخّص من "
             "الهيئة العامة للغذاء والدواء، وأوقفت ترخيص طبيبين روّجا لحقنها (تاريخ الإعلان UNVERIFIED).",
    "reg_3": "لم نجد إذناً صريحاً بالعلاج التجميلي بالخلايا الجذعية خارج الأبحاث. قراءتنا، وليست استشارة قانونية: "
             "حقن الخلايا اللحمية الوعائية (SVF) أو الخلايا الجذعية الدهنية أو الإكسوسومات لندبات حب الشباب مكانه "
             "دراسة سريرية معتمدة وخاضعة لمراجعة أخلاقية.",
    "reg_4": "هل يُعدّ نقل الدهون في اليوم نفسه بمعالجة بسيطة جراحة عادية؟ غير مُتحقَّق منه (UNVERIFIED).",
    "reg_5": "يجب أن يكون الطبيب مسجلاً لدى الهيئة السعودية للتخصصات الصحية؛ وعلى عيادات التجميل عرض ترخيص كل طبيب، "
             "وإعطاؤك بطاقة بعد أي حقن تجميلي تذكر المادة وكميتها وموضعها واسم الطبيب.",
    "reg_6": "تحذّر إدارة الغذاء والدواء الأمريكية من أن منتجات الخلايا الجذعية والإكسوسومات غير المعتمدة سبّبت "
             "العمى والأورام والالتهابات، وأنه لا يوجد منتج إكسوسومات معتمد لديها.",
    "reg_7": "الدراسات المضبوطة للعلاجات المشتقة من الخلايا الجذعية لندبات حب الشباب قليلة وصغيرة: {k} دراسات "
             "مُتحقَّق منها في هذا الجدول، من {lo} إلى {hi} مريضاً في كل منها، وأغلبها إضافة إلى الليزر أو الوخز "
             "بالإبر الدقيقة أو الدهون، مع متابعة قصيرة. ولا يمكن رؤية الأضرار النادرة في دراسات بهذا الحجم.",
    "s_questions": "4. أسئلة تطرحها على العيادة",
    "q_1": "هل الطبيب مسجّل لدى الهيئة السعودية للتخصصات الصحية؟ هل يمكنني رؤية الترخيص؟",
    "q_2": "من أين يأتي المنتج، وما رقم التشغيلة، وهل هو مرخّص للحقن من الهيئة العامة للغذاء والدواء؟",
    "q_3": "إذا كان العلاج بالخلايا أو الإكسوسومات: هل هو جزء من دراسة معتمدة؟ وما رقم الموافقة الأخلاقية؟",
    "q_4": "كم عدد الجلسات، وكم مدة التعافي، وكم ستكلّف الدورة كاملة؟",
    "q_5": "ماذا يحدث إذا لم ينجح العلاج: إعادة، أم استرداد المبلغ، أم علاج آخر؟",
    "q_6": "بمن أتصل إذا ظهر أثر جانبي، وكيف يُسجَّل؟",
    "s_values": "5. ما الأهم بالنسبة إليك؟",
    "values_intro": "ضع علامة على كل سطر، واحضر هذه الصفحة إلى موعدك.",
    "v_1": "الحصول على أكبر تحسّن ممكن",
    "v_2": "تجنّب فترة التعافي بعيداً عن العمل أو الحياة الاجتماعية",
    "v_3": "إبقاء التكلفة منخفضة",
    "v_4": "تجنّب الإبر أو الجراحة أو الألم",
    "v_5": "اختيار علاجات ذات أدلة قوية بدلاً من العلاجات الأحدث والأقل اختباراً",
    "v_6": "الانتظار حتى تتوفر أدلة أفضل",
    "v_low": "غير مهم",
    "v_high": "مهم جداً",
    "s_notes": "المصادر والملاحظات",
    "note_measure": "قاسه برنامج scarwise من المسح ثلاثي الأبعاد بتاريخ {date} ({nx} × {ny} نقطة، بتباعد {dx} مم). "
                    "لم تُحدَّد بعد دقة القياس لهذا الماسح.",
    "note_grade": "الدرجة محسوبة من المسح؛ ولم يُتحقق بعد من ثوابت المقياس مقابل الأوراق الأصلية (UNVERIFIED). "
                  "{sources}",
    "note_visit": "مسح بتاريخ {date}، قاسه برنامج scarwise.",
    "note_pool": "تحليل تجميعي بنموذج التأثيرات العشوائية ({method}) لعدد {k} من الدراسات المُتحقَّق منها في جدول "
                 "الأدلة {version}: {ids}. التباين بين الدراسات tau² = {tau2}، و I² = {i2}٪.",
    "note_count": "جدول الأدلة {version}: الدراسات المُتحقَّق منها لهذا الخيار (المعرّفات: {ids}).",
    "note_price": "{source}. الأسعار بالريال السعودي؛ تأكّد منها مع العيادة قبل أن تقرّر.",
    "note_reg": "المصدر: clinical-evidence.md القسم {section} ({tag}).",
}

CATALOGUE = {"en": EN, "ar": AR}


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is a supported report language, else raise InvalidParameterError."""
    check_choice("lang", lang, LANGS)
    return lang


def translator(lang: str) -> Callable[..., str]:
    """A function ``t(key, **fields)`` giving the string for ``key`` in ``lang``, formatted."""
    strings = CATALOGUE[check_lang(lang)]

    def t(key: str, **fields: object) -> str:
        text = strings[key]
        return text.format(**fields) if fields else text

    return t


def fmt_number(value: float, lang: str, *, digits: int = 2) -> str:
    """A number in the locale's format with ``digits`` decimals (minus sign kept)."""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=LOCALES[lang])


def fmt_sar(amount: float, lang: str) -> str:
    """An amount in Saudi riyals, whole riyals, e.g. ``SAR 1,500`` / ``1,500 ر.س.``."""
    pattern = "¤\u00a0#,##0" if lang == "en" else "#,##0\u00a0¤"
    return format_currency(amount, "SAR", locale=LOCALES[lang], format=pattern, currency_digits=False)


def fmt_date(day: dt.date, lang: str) -> str:
    """A long date, e.g. ``25 November 2026`` / ``25 نوفمبر 2026``."""
    return format_date(day, "long", locale=LOCALES[lang])
