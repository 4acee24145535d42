"""Strings of the public ``/learn`` pages in English and Arabic (one key, one text per language).

Sentences about regulation and the questions to ask are the report's own strings
(:mod:`scarwise.report._i18n`), so the pages and the decision aid never disagree. Numbers are never
part of these strings: they come from the evidence table at request time.
"""

from __future__ import annotations

EN: dict[str, str] = {
    "site": "Acne scars: learn before you book",
    "skip": "Skip to content",
    "nav": "Pages",
    "lang_switch": "العربية",
    "index": "Overview",
    "how": "How it works",
    "evidence": "What the evidence says",
    "scars": "Scar types",
    "clinic": "Choosing a clinic",
    "costs": "Costs",
    "intro": "These pages answer the questions patients ask before booking a scar treatment. Every number on "
             "them is computed from the project's evidence table when you open the page, and nothing here "
             "is typed in by hand.",
    "not_advice": "This is general information, not medical advice. Choosing no treatment is a reasonable choice.",
    "footer": "Evidence table version {version}. Pages generated {now} (UTC).",
    "how_intro": "Regenerative treatments for acne scars use cells or what cells release. Here is what each "
                 "one is and what it is thought to do to a scar. \"Thought to\" matters: the studies listed "
                 "on the evidence page are few and small.",
    "sc_title": "Stem cells (adipose-derived stem cells, ADSC)",
    "sc_text": "Cells taken from your own fat and grown in a laboratory. They can turn into a few tissue "
               "types and release growth signals. In a scar they are thought to encourage new collagen "
               "and blood vessels so that the dip fills from below.",
    "svf_title": "Stromal vascular fraction (SVF) and nanofat",
    "svf_text": "Fat is taken by liposuction and processed on the same day, without growing cells: the "
                "mixture contains stem cells, blood-vessel cells and immune cells. Injected under a scar, it "
                "is thought to add volume and release growth signals.",
    "cm_title": "Conditioned medium",
    "cm_text": "The liquid in which stem cells were grown, with the proteins they released but no cells. "
               "Usually applied to skin just after laser or microneedling, it is thought to speed healing "
               "and collagen building.",
    "exo_title": "Exosomes",
    "exo_text": "Tiny packets released by cells, carrying proteins and genetic messages. Products are "
                "usually applied after laser. They are thought to act like conditioned medium in a "
                "concentrated form.",
    "how_model": "How a scar is modelled to fill in: a figure sequence from the scarwise therapy simulation",
    "model_label": "Model, not evidence: {label}. Colours show the remaining depth of three synthetic scars "
                   "(dark = deeper) on the days shown, for the protocol \"{protocol}\" ({sessions} sessions).",
    "day": "Day {day}",
    "model_alt": "Simulated remaining scar depth on day {day} (model)",
    "ev_intro": "For each treatment: how many checked studies and patients the evidence table holds, a pooled "
                "result where the studies can be combined, how long patients were followed, and the side "
                "effects reported. Study texts are quoted in English as the table records them.",
    "ev_version": "Evidence table version {version}, curated on {date}.",
    "ev_sources": "Tables loaded: {sources}.",
    "followup": "Follow-up lengths (quoted)",
    "followup_none": "Not reported in the studies listed.",
    "forest_alt": "Forest plot of the pooled studies for {name}",
    "poolable_studies": "Studies in the pooled result",
    "sessions_in_studies": "Sessions in the studies (quoted)",
    "scars_intro": "Acne scars are usually described by their shape. The pictures are 3D views, cut through the "
                   "middle of the scar, of synthetic scans made by scarwise with the same shapes its "
                   "measurement uses (not photographs of "
                   "patients; the height is exaggerated).",
    "icepick_text": "Narrow and deep, like a puncture, narrowing towards the bottom.",
    "boxcar_text": "Round or oval with a flat floor and steep edges.",
    "rolling_text": "Wide, shallow dips with sloping edges that make skin look wavy.",
    "scar_alt": "3D cut-away view of a synthetic {type} scar",
    "type_evidence": "What the evidence table tests for this type",
    "type_studies": "Checked studies whose record names this type (quoted):",
    "type_none": "No checked study in the evidence table reports results for this scar type separately; "
                 "the studies treat mixed acne scars.",
    "clinic_intro": "Before you book, check the practitioner, the product and the paperwork.",
    "licence_title": "Check the practitioner's licence",
    "licence_text": "Saudi Commission for Health Specialties (SCFHS) registration is mandatory for practitioners "
                    "and is valid for two years; ask for the registration and check it with SCFHS.",
    "product_title": "Check the product",
    "product_text": "Ask what the product is, who made it, its lot number and whether the SFDA has authorised it "
                    "for the way it will be used (applied on the skin or injected).",
    "consent_title": "What a consent form should say",
    "consent_text": "The form should name the treatment and product (with lot), the practitioner, the expected "
                    "benefit and its uncertainty, the known side effects, the alternatives including no "
                    "treatment, the cost, and whether it is part of an approved study. Separate, explicit "
                    "consent should be asked before your photos or scans are used for research or marketing "
                    "(the exact wording required is UNVERIFIED).",
    "rules_title": "The rules, as checked",
    "questions_title": "Questions to ask",
    "costs_intro": "The clinic's own price list for a course of each option, in Saudi riyals, with the numbers "
                   "of sessions the studies used.",
    "price_range": "Price for a course",
    "included_title": "Included in the price",
    "excluded_title": "Not included in the price",
    "incl_unknown": "The price list does not say. Ask the clinic whether consultations, follow-up visits, "
                    "aftercare products and repeat sessions are included.",
    "not_priced": "Not on the price list",
    "source": "Source",
}

AR: dict[str, str] = {
    "site": "ندبات حب الشباب: اعرف قبل أن تحجز",
    "skip": "انتقل إلى المحتوى",
    "nav": "الصفحات",
    "lang_switch": "English",
    "index": "نظرة عامة",
    "how": "كيف يعمل العلاج",
    "evidence": "ماذا تقول الأدلة",
    "scars": "أنواع الندبات",
    "clinic": "اختيار العيادة",
    "costs": "التكاليف",
    "intro": "تجيب هذه الصفحات عن الأسئلة التي يطرحها المرضى قبل حجز علاج للندبات. كل رقم فيها يُحسب من جدول "
             "الأدلة في المشروع عند فتح الصفحة، ولا يُكتب أي شيء هنا يدوياً.",
    "not_advice": "هذه معلومات عامة وليست استشارة طبية. وعدم العلاج خيار معقول أيضاً.",
    "footer": "إصدار جدول الأدلة {version}. أُنشئت الصفحات {now} (بالتوقيت العالمي).",
    "how_intro": "تستخدم العلاجات التجديدية لندبات حب الشباب الخلايا أو ما تفرزه الخلايا. إليك ما هو كل منها "
                 "وما يُعتقد أنه يفعله بالندبة. وكلمة \"يُعتقد\" مهمة: فالدراسات المذكورة في صفحة الأدلة قليلة "
                 "وصغيرة.",
    "sc_title": "الخلايا الجذعية (الخلايا الجذعية المشتقة من الدهون، ADSC)",
    "sc_text": "خلايا تؤخذ من دهونك وتُزرع في المختبر. يمكنها أن تتحول إلى أنواع قليلة من الأنسجة وتفرز إشارات "
               "نمو. ويُعتقد أنها في الندبة تحفّز تكوين كولاجين وأوعية دموية جديدة فيمتلئ المنخفض من الأسفل.",
    "svf_title": "الجزء اللحمي الوعائي (SVF) والنانوفات",
    "svf_text": "تؤخذ الدهون بشفط الدهون وتُعالج في اليوم نفسه دون زراعة الخلايا: يحتوي الخليط على خلايا جذعية "
                "وخلايا أوعية دموية وخلايا مناعية. ويُعتقد أن حقنه تحت الندبة يضيف حجماً ويفرز إشارات نمو.",
    "cm_title": "الوسط المكيّف",
    "cm_text": "السائل الذي نمت فيه الخلايا الجذعية، وفيه البروتينات التي أفرزتها دون خلايا. يوضع عادة على الجلد "
               "بعد الليزر أو الوخز بالإبر الدقيقة مباشرة، ويُعتقد أنه يسرّع الالتئام وبناء الكولاجين.",
    "exo_title": "الإكسوسومات",
    "exo_text": "حويصلات صغيرة جداً تفرزها الخلايا، تحمل بروتينات ورسائل وراثية. توضع المنتجات عادة بعد الليزر، "
                "ويُعتقد أنها تعمل مثل الوسط المكيّف بصورة مركّزة.",
    "how_model": "كيف يُمثَّل امتلاء الندبة في النموذج: سلسلة صور من محاكاة العلاج في scarwise",
    "model_label": "نموذج وليس دليلاً: {label}. تُظهر الألوان العمق المتبقي لثلاث ندبات اصطناعية (الداكن أعمق) في "
                   "الأيام المعروضة، للبروتوكول \"{protocol}\" ({sessions} جلسات).",
    "day": "اليوم {day}",
    "model_alt": "العمق المتبقي المحاكى للندبة في اليوم {day} (نموذج)",
    "ev_intro": "لكل علاج: عدد الدراسات المُتحقَّق منها وعدد المرضى في جدول الأدلة، ونتيجة مجمّعة حيث يمكن جمع "
                "الدراسات، ومدة متابعة المرضى، والآثار الجانبية المبلّغ عنها. نصوص الدراسات منقولة بالإنجليزية كما "
                "يسجّلها الجدول.",
    "ev_version": "إصدار جدول الأدلة {version}، رُوجع بتاريخ {date}.",
    "ev_sources": "الجداول المحمّلة: {sources}.",
    "followup": "مدة المتابعة (نص منقول)",
    "followup_none": "لم تُذكر في الدراسات المدرجة.",
    "forest_alt": "مخطط الغابة للدراسات المجمّعة لخيار {name}",
    "poolable_studies": "الدراسات الداخلة في النتيجة المجمّعة",
    "sessions_in_studies": "عدد الجلسات في الدراسات (نص منقول)",
    "scars_intro": "توصف ندبات حب الشباب عادة بشكلها. الصور عروض ثلاثية الأبعاد، مقطوعة من منتصف "
                   "الندبة، لمسوح اصطناعية أنشأها scarwise "
                   "بالأشكال نفسها التي يستخدمها في القياس (ليست صور مرضى؛ والارتفاع مكبّر).",
    "icepick_text": "ضيقة وعميقة مثل الثقب، وتضيق نحو القاع.",
    "boxcar_text": "مستديرة أو بيضاوية بقاع مسطح وحواف حادة.",
    "rolling_text": "منخفضات عريضة وضحلة بحواف مائلة تجعل الجلد يبدو متموجاً.",
    "scar_alt": "عرض ثلاثي الأبعاد مقطوع لندبة اصطناعية من نوع {type}",
    "type_evidence": "ما يختبره جدول الأدلة لهذا النوع",
    "type_studies": "الدراسات المُتحقَّق منها التي يذكر سجلها هذا النوع (نص منقول):",
    "type_none": "لا توجد في جدول الأدلة دراسة مُتحقَّق منها تذكر نتائج هذا النوع من الندبات منفصلة؛ فالدراسات "
                 "تعالج ندبات حب شباب مختلطة.",
    "clinic_intro": "قبل أن تحجز، تحقّق من الممارس والمنتج والأوراق.",
    "licence_title": "تحقّق من ترخيص الممارس",
    "licence_text": "التسجيل لدى الهيئة السعودية للتخصصات الصحية إلزامي للممارسين وصالح لمدة سنتين؛ اطلب رقم "
                    "التسجيل وتحقّق منه لدى الهيئة.",
    "product_title": "تحقّق من المنتج",
    "product_text": "اسأل عن المنتج والشركة المصنّعة ورقم التشغيلة، وهل أجازته الهيئة العامة للغذاء والدواء للطريقة "
                    "التي سيُستخدم بها (على الجلد أو بالحقن).",
    "consent_title": "ما يجب أن يذكره نموذج الموافقة",
    "consent_text": "يجب أن يذكر النموذج العلاج والمنتج (مع رقم التشغيلة) والممارس والفائدة المتوقعة ومدى عدم "
                    "اليقين فيها والآثار الجانبية المعروفة والبدائل ومنها عدم العلاج والتكلفة، وهل العلاج جزء من "
                    "دراسة معتمدة. ويجب طلب موافقة منفصلة وصريحة قبل استخدام صورك أو مسوحك في البحث أو التسويق "
                    "(الصياغة المطلوبة بالضبط غير مُتحقَّق منها UNVERIFIED).",
    "rules_title": "الأنظمة كما رُوجعت",
    "questions_title": "أسئلة تطرحها",
    "costs_intro": "قائمة أسعار العيادة لدورة علاجية من كل خيار، بالريال السعودي، مع عدد الجلسات التي استخدمتها "
                   "الدراسات.",
    "price_range": "سعر الدورة العلاجية",
    "included_title": "مشمول في السعر",
    "excluded_title": "غير مشمول في السعر",
    "incl_unknown": "لا تذكر قائمة الأسعار ذلك. اسأل العيادة هل تشمل الاستشارات وزيارات المتابعة ومنتجات العناية "
                    "بعد العلاج والجلسات الإضافية.",
    "not_priced": "غير مدرج في قائمة الأسعار",
    "source": "المصدر",
}

CATALOGUE = {"en": EN, "ar": AR}
