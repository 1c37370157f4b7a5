"""Single hand-written ads (lurewatch team), less formulaic than the phrase banks."""

HANDWRITTEN = [
    # ---- Korean lures ----
    {
        "language": "ko",
        "label": 1,
        "basis": "docs/signals.md S11+S02+S06, community-board style post",
        "title": "동남아 사무직 같이 하실분 구해요",
        "description": "형들 저 지금 캄보디아에서 일하는데 여기 진짜 괜찮음. 하는 일은 그냥 컴퓨터로 채팅 응대하는 거고 "
        "첫달부터 600 찍었어요. 뉴스에 나오는 감금 그런거 전혀 없고 주말엔 외출도 자유임. 궁금하면 텔레 주세요 @mk_life",
    },
    {
        "language": "ko",
        "label": 1,
        "basis": "docs/signals.md S12 debt targeting + S05b, 대출 갤러리 style",
        "title": "대출 연체 심하신 분들만 보세요",
        "description": "연체 때문에 잠 못 자는 분들, 저도 그랬습니다. 해외에서 3개월만 바짝 하면 빚 다 정리됩니다. "
        "비행기표랑 숙소는 회사에서 먼저 내주고 나중에 월급에서 조금씩 빼요. 경험 없어도 됩니다. 오픈채팅으로 연락",
    },
    {
        "language": "ko",
        "label": 1,
        "basis": "docs/signals.md S19 리딩방 + S01",
        "title": "리딩방 운영팀 모집 (프놈펜)",
        "description": "프놈펜 사무실에서 주식·코인 리딩방 운영하실 분. 대본 있고 하루 8시간. 기본급 400에 인센티브 무제한. "
        "여권만 있으면 이번주 출국 가능. 텔레그램 @pp_lead",
    },
    {
        "language": "ko",
        "label": 1,
        "basis": "docs/signals.md S10+S09, short messenger post",
        "description": "무비자 입국해서 바로 근무. 여권 사진 보내주시면 항공권 바로 끊어드림. 월 500",
    },
    {
        "language": "ko",
        "label": 1,
        "basis": "docs/signals.md S01 hub + S16, title only",
        "title": "시아누크빌 고수익 단기 알바 (텔레 문의)",
        "description": "",
    },
    {
        "language": "ko",
        "label": 1,
        "basis": "docs/signals.md S14 + S04 + S01 (Golden Triangle)",
        "title": "골든트라이앵글 호텔 VIP 응대",
        "description": "라오스 골든트라이앵글 특구 호텔 VIP 고객 응대 직원. 20대 여성 우대, 외모 단정. 월 1,500만원 이상 가능, 숙식 제공. "
        "자세한 건 연락 주시면 설명드려요. 카톡 아이디 gt_vip",
    },
    {
        "language": "ko",
        "label": 1,
        "basis": "docs/signals.md S17 + S08, DM-style recruiter message",
        "description": "안녕하세요 지난번 문의하신 해외 일자리 건입니다. 내일 인천에서 호치민으로 출국하시면 공항에서 저희 직원이 픽업해서 "
        "육로로 이동합니다. 도착하면 바로 일 시작이고 첫 달 보장 700입니다. 여권 꼭 챙기세요.",
    },
    {
        "language": "ko",
        "label": 1,
        "basis": "docs/signals.md S02 very high + S03 + S06",
        "title": "경력무관 월천 가능",
        "description": "ㅇ 컴퓨터 할 줄 알면 누구나 ㅇ 숙식 항공 제공 ㅇ 월 천 이상 ㅇ 텔그 @money_kh",
    },
    # ---- Korean legit ----
    {
        "language": "ko",
        "label": 0,
        "basis": "hard negative: hotel job abroad, portal style, employer-paid flights",
        "title": "[월드잡플러스] 싱가포르 호텔 F&B 서버 채용",
        "company": "Marina Stay Pte Ltd",
        "location": "싱가포르",
        "salary": "월 SGD 2,600",
        "description": "싱가포르 호텔 F&B 서버 5명 채용합니다. 취업비자(S Pass) 발급, 입국 항공권 및 초기 1개월 숙소 제공. "
        "자격요건: 서비스업 경력 1년 이상, 영어 의사소통 가능. 근로계약서는 출국 전 한국어·영어로 제공합니다.",
    },
    {
        "language": "ko",
        "label": 0,
        "basis": "ordinary short Korean part-time ad",
        "title": "주말 카페 알바 구해요",
        "description": "토,일 10시~16시 카페 알바 구해요. 시급 10,030원. 근처 거주자 우대. 문자 주세요",
    },
    {
        "language": "ko",
        "label": 0,
        "basis": "short legit: title only, overseas with visa",
        "title": "베트남 하노이 한국어 통역 채용 (취업비자 지원)",
        "description": "",
    },
    {
        "language": "ko",
        "label": 0,
        "basis": "short legit: title only, Dubai hotel",
        "title": "두바이 호텔 하우스키핑 채용, 항공권·기숙사 제공",
        "description": "",
    },
    {
        "language": "ko",
        "label": 0,
        "basis": "hard negative: Cambodia NGO job with Korean requirement",
        "title": "캄보디아 교육 NGO 현지 사업 코디네이터",
        "company": "사단법인 함께배움",
        "location": "캄보디아 시엠립",
        "description": "시엠립 지역 초등학교 지원 사업 코디네이터를 모집합니다. 사회복지 또는 교육 관련 경력 2년 이상. 월 USD 1,400, "
        "항공권 및 주거비 지원, 해외 상해보험 가입. 서류전형 후 면접, 단체 홈페이지에서 지원서 다운로드.",
    },
    {
        "language": "ko",
        "label": 0,
        "basis": "news sentence mentioning Cambodia embassy (trap for place-only scoring)",
        "description": "주캄보디아 대한민국 대사관은 올해 교민 대상 영사 민원 업무 시간을 변경한다고 밝혔다.",
    },
    {
        "language": "ko",
        "label": 0,
        "basis": "ordinary Korean IT job with 병역특례",
        "title": "전문연구요원 백엔드 개발자",
        "company": "(주)코드나무",
        "description": "[담당업무] 물류 플랫폼 서버 개발 [자격요건] 신입/경력, 컴퓨터공학 관련 전공 [우대사항] AWS 경험 "
        "[복지] 4대보험, 점심 제공 [기타] 병역지정업체, 전문연구요원 편입 가능",
    },
    {
        "language": "ko",
        "label": 0,
        "basis": "legit high pay: offshore plant engineer with certificates",
        "title": "해양플랜트 현장 전기 엔지니어 (중동)",
        "company": "(주)대양엔지니어링",
        "salary": "월 900만원 (해외수당 포함)",
        "description": "사우디아라비아 현장 전기 엔지니어. 전기기사 자격증 소지, 플랜트 경력 7년 이상. 월 900만원(해외수당 포함), "
        "4개월 근무 후 휴가 및 왕복 항공권 제공, 숙소·식사 제공. 근로계약서 작성 후 취업비자 발급.",
    },
    # ---- English lures ----
    {
        "language": "en",
        "label": 1,
        "basis": "docs/signals.md S11+S06, Facebook-group style post",
        "description": "Guys I'm working in Cambodia now, customer service, they pay $2500 and the place is totally safe, not like the news. "
        "They need 5 more people this month, flight paid. PM me or add me on Telegram @sam_kh_jobs",
    },
    {
        "language": "en",
        "label": 1,
        "basis": "docs/signals.md S10+S09+S08",
        "title": "Thailand typing job",
        "description": "Go on a tourist visa, the company converts it to a working visa later. "
        "Send a picture of your passport today, flight tomorrow. $1800/month.",
    },
    {
        "language": "en",
        "label": 1,
        "basis": "docs/signals.md S19 + S15",
        "title": "Chat operator - crypto",
        "description": "Chat with foreign clients as a friend, then introduce our crypto trading group. Script provided. "
        "Base $1,000 + commission, top earners $8k. Myawaddy. WhatsApp only.",
    },
    {
        "language": "en",
        "label": 1,
        "basis": "docs/signals.md S02+S03 minimal",
        "description": "No experience, $4000 a month, free accommodation in Sihanoukville. DM now.",
    },
    # ---- English legit ----
    {
        "language": "en",
        "label": 0,
        "basis": "short legit title",
        "title": "Sous Chef - Phnom Penh hotel (work permit provided)",
        "description": "",
    },
    {
        "language": "en",
        "label": 0,
        "basis": "short legit",
        "description": "Cashier wanted for supermarket night shift. Apply at the counter.",
    },
    {
        "language": "en",
        "label": 0,
        "basis": "hard negative: legit customer service in Phnom Penh bank",
        "title": "Customer Service Officer",
        "company": "Mekong Commercial Bank PLC",
        "location": "Phnom Penh",
        "salary": "$450 - $650",
        "description": "Handle walk-in and phone enquiries, open accounts. Requirements: bachelor's degree, good English and Khmer. "
        "Benefits: NSSF, health insurance, 13th-month salary. Apply through our careers page.",
    },
    {
        "language": "en",
        "label": 0,
        "basis": "hard negative: employer warning that sounds like a denial",
        "title": "Recruitment notice",
        "company": "Siam Precision Parts Co., Ltd.",
        "description": "Our company never charges recruitment fees and never keeps employees' passports. If someone on Telegram "
        "offers you a job in our name, it is fraud; report it to us at hr@siamprecision.co.th.",
    },
    # ---- other languages, a few each ----
    {
        "language": "zh",
        "label": 1,
        "basis": "docs/signals.md S11 (赌场是合法开的) + S19",
        "description": "西港博彩公司招客服，赌场是合法开的，不扣护照，月薪两万五，包吃包住，小白可做。飞机号私聊。",
    },
    {
        "language": "zh",
        "label": 0,
        "basis": "short legit Chinese",
        "title": "金边餐厅招收银员，月薪350美元，包工作餐",
        "description": "",
    },
    {
        "language": "vi",
        "label": 1,
        "basis": "docs/signals.md Vietnam police wording",
        "description": "Việc nhẹ lương cao, không cần kinh nghiệm, thu nhập nghìn đô, bao ăn ở tại Campuchia. Liên hệ Zalo.",
    },
    {
        "language": "vi",
        "label": 0,
        "basis": "short legit Vietnamese",
        "description": "Quán cà phê cần tuyển nhân viên phục vụ ca tối, lương theo giờ, liên hệ trực tiếp tại quán.",
    },
    {
        "language": "th",
        "label": 1,
        "basis": "docs/signals.md Thai DOE wording",
        "description": "งานออนไลน์ รายได้สูง ไม่ต้องใช้ทักษะ ที่ปอยเปต มีที่พักและอาหารให้ ทักไลน์",
    },
    {
        "language": "th",
        "label": 0,
        "basis": "short legit Thai",
        "description": "ร้านอาหารรับสมัครพนักงานเสิร์ฟ เงินเดือน 12,000 บาท มีประกันสังคม",
    },
    {
        "language": "id",
        "label": 1,
        "basis": "docs/signals.md Indonesia wording",
        "description": "Dicari admin judi online di Kamboja, tanpa ijazah, cukup paspor, gaji 15 juta, tiket gratis. Hubungi WA.",
    },
    {
        "language": "id",
        "label": 0,
        "basis": "short legit Indonesian",
        "description": "Dibutuhkan kasir toko, shift pagi, gaji UMR, BPJS. Lamaran langsung ke toko.",
    },
]
