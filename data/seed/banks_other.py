"""Chinese, Thai, Vietnamese and Indonesian phrase banks (written by the lurewatch team)."""

OTHER_SCAM = [
    {
        "lang": "zh",
        "family": "zh-scam",
        "slots": {
            "dest": ["西港", "柬埔寨金边", "缅北", "妙瓦底", "金三角", "柬埔寨", "老挝金三角经济特区", "菲律宾"],
            "role": ["客服", "打字员", "网络推销客服", "聊天员", "推广员", "后台操作"],
            "pay": ["月薪3万", "月入过万", "月入可达1-2万", "底薪8000加提成", "日薪1000元", "月薪2万起"],
            "perks": ["包吃包住", "包机票", "包食宿，报销机票", "提供宿舍，包吃住"],
            "req": ["无需经验", "学历不限", "会用电脑就能做", "零基础可做", "会打字就行"],
            "contact": ["飞机号 @{handle}", "加微信 {handle} 详聊", "私聊", "QQ群 {qq}", "电报联系 @{handle}"],
            "handle": ["xg_hr88", "jb_work666", "mb_zhaopin", "asia_job168"],
            "qq": ["889123456", "773210998"],
            "extra": [
                "急招，马上出发",
                "名额有限，先到先得",
                "工作合法，不扣护照",
                "负债的朋友也可以来翻身",
                "免签，落地签就行",
                "种菠菜项目，有话术培训",
            ],
        },
        "scenarios": [
            {
                "title": "{dest}{role} {pay}",
                "basis": "docs/signals.md §2.10 China: 工资高、门槛低; S05a 包吃包住",
                "body": ["{dest}招{role}，{pay}。", "{perks}，{req}。", "{extra}。", "{contact}"],
                "variants": 3,
                "shuffle": True,
            },
            {
                "title": "高薪{role}，{extra}",
                "basis": "docs/signals.md S19 (种菠菜) + S06 (飞机号)",
                "body": ["高薪招聘{role}，{dest}。", "{pay}，{extra}。", "{req}。", "{contact}"],
                "variants": 3,
            },
            {
                "title": "轻松办公赚快钱",
                "basis": "docs/signals.md S16 轻松办公赚快钱",
                "body": ["轻松办公赚快钱，{role}。", "{pay}，{perks}。", "{extra}。", "{contact}"],
                "variants": 3,
            },
        ],
    },
    {
        "lang": "th",
        "family": "th-scam",
        "slots": {
            "dest": ["กัมพูชา", "ปอยเปต", "เมียวดี", "สีหนุวิลล์", "ลาว"],
            "role": ["แอดมินออนไลน์ ตอบแชทลูกค้า", "พิมพ์งาน", "งานออนไลน์", "คีย์ข้อมูล"],
            "pay": ["เงินเดือน 50,000 บาท", "รายได้สูง 80,000 บาทต่อเดือน", "เดือนละ 60,000 บาท", "รายได้ดีงานง่าย 45,000 บาท"],
            "perks": ["มีที่พักและอาหารให้", "บินฟรี ที่พักฟรี", "ตั๋วเครื่องบินฟรี"],
            "extra": ["ไม่ต้องใช้ทักษะ", "ไม่ต้องมีประสบการณ์", "รอบนี้มีจำนวนจำกัด", "ไม่ต้องใช้วีซ่า", "รับด่วน เดินทางทันที"],
            "contact": ["ทักไลน์ {line}", "แอดไลน์ {line}", "ติดต่อเทเลแกรม @{line}"],
            "line": ["job_th99", "admin_kh22", "workabroad7"],
        },
        "scenarios": [
            {
                "title": "รับสมัคร{role} {dest}",
                "basis": "docs/signals.md §2.10 Thailand DOE / Labour Minister wording",
                "body": ["รับสมัคร{role} ที่{dest}", "{pay} {perks}", "{extra}", "{contact}"],
                "variants": 3,
            },
            {
                "title": "งานต่างประเทศ {pay}",
                "basis": "docs/signals.md S02+S05a+S06 (Thai)",
                "body": ["งานต่างประเทศ {role}", "{pay}", "{extra} {extra}", "{contact}"],
                "variants": 3,
            },
        ],
    },
    {
        "lang": "vi",
        "family": "vi-scam",
        "slots": {
            "dest": ["Campuchia", "Bavet", "Mộc Bài - Bavet", "Myanmar", "Lào"],
            "role": ["chăm sóc khách hàng online", "nhân viên chat", "đánh máy", "trực page", "nhập liệu"],
            "pay": ["lương 20 triệu/tháng", "thu nhập nghìn đô", "trên 25 triệu/tháng", "lương 1500 đô"],
            "perks": ["bao ăn ở", "lo vé máy bay", "bao ăn ở, không mất phí"],
            "extra": [
                "việc nhẹ lương cao",
                "không cần kinh nghiệm",
                "tuyển gấp",
                "không cần visa",
                "công ty hợp pháp, an toàn tuyệt đối",
            ],
            "contact": ["liên hệ qua Zalo {z}", "nhắn tin Zalo {z}", "Telegram @{t}"],
            "z": ["0912 345 678", "0987 111 222"],
            "t": ["vieclam_cpc"],
        },
        "scenarios": [
            {
                "title": "Tuyển {role} tại {dest}",
                "basis": "docs/signals.md §2.10 Vietnam police: việc nhẹ, lương cao",
                "body": ["Tuyển {role} làm việc tại {dest}.", "{pay}, {perks}.", "{extra}, {extra}.", "{contact}."],
                "variants": 3,
            },
            {
                "title": "{extra} - đi {dest}",
                "basis": "docs/signals.md S03+S08+S06 (Vietnamese)",
                "body": ["{extra}!", "Đi {dest} làm {role}, {pay}.", "{perks}.", "{contact}."],
                "variants": 3,
            },
        ],
    },
    {
        "lang": "id",
        "family": "id-scam",
        "slots": {
            "dest": ["Kamboja", "Sihanoukville", "Poipet", "Myanmar", "Bavet"],
            "role": ["admin media sosial", "operator data", "customer service online", "marketing online"],
            "pay": [
                "gaji Rp 15 juta per bulan",
                "gaji Rp15-30 juta",
                "penghasilan tinggi Rp 20 juta",
                "gaji besar 1.200 USD",
            ],
            "perks": ["tiket dan akomodasi gratis", "mess gratis, makan gratis", "tiket gratis"],
            "extra": [
                "tanpa pengalaman",
                "tidak ada permintaan ijazah",
                "cukup punya paspor",
                "segera berangkat",
                "pakai visa turis dulu",
                "bawa teman dapat bonus",
            ],
            "contact": ["hubungi WA 0812{n}", "chat WA 0857{n}", "via Telegram @{t}"],
            "n": ["33445566", "99001122"],
            "t": ["loker_kamboja"],
        },
        "scenarios": [
            {
                "title": "Lowongan {role} di {dest}",
                "basis": "docs/signals.md §2.10 Indonesia (Komdigi/BP2MI) lure wording",
                "body": ["Lowongan kerja {role} di {dest}.", "{pay}, {perks}.", "{extra}, {extra}.", "{contact}."],
                "variants": 3,
            },
            {
                "title": "Kerja santai gaji besar di luar negeri",
                "basis": "docs/signals.md S16+S09+S10 (Indonesian)",
                "body": ["Kerja santai gaji besar.", "{role}, {dest}.", "{extra}.", "{pay}.", "{contact}."],
                "variants": 3,
            },
        ],
    },
]

OTHER_LEGIT = [
    {
        "lang": "zh",
        "family": "zh-legit",
        "slots": {
            "corp": [
                "金边宏达电子有限公司",
                "柬埔寨华丰制衣有限公司",
                "西港特区明辉五金有限公司",
                "曼谷泰中物流有限公司",
            ],
            "role": ["中柬翻译", "行政主管", "仓库管理员", "质检员", "财务会计", "人事专员"],
            "pay": ["$600 - $900", "月薪800美元", "$700 up", "面议"],
            "extra": ["提供宿舍和工作餐", "公司办理工作签证和劳工证", "签订劳动合同，试用期三个月", "购买医疗保险"],
            "req": ["大专以上学历", "相关工作经验2年以上", "会中文和高棉语", "熟练使用办公软件"],
        },
        "scenarios": [
            {
                "title": "{corp}招聘{role}",
                "company": "{corp}",
                "salary": "{pay}",
                "basis": "hard negative: Chinese-run factory ad in Cambodia with dorm and work permit (cambodia_jobboards-like shape)",
                "body": [
                    "{corp}招聘{role}。",
                    "任职要求：{req}，{req}。",
                    "待遇：{pay}，{extra}，{extra}。",
                    "有意者请将简历发送至公司邮箱 hr@hongda-kh.com。",
                ],
                "variants": 3,
            },
            {
                "title": "{role}（工作签证）",
                "company": "{corp}",
                "basis": "hard negative: named employer with labour contract (Chinese)",
                "body": ["岗位：{role}。", "{extra}。", "{req}。", "工资{pay}，五险一金（国内派遣员工）。"],
                "variants": 2,
            },
        ],
    },
    {
        "lang": "th",
        "family": "th-legit",
        "slots": {
            "corp": ["บริษัท สยามฟู้ด จำกัด", "บริษัท ไทยโลจิสติกส์ จำกัด", "โรงแรมริเวอร์ไซด์ กรุงเทพ"],
            "role": ["พนักงานต้อนรับ", "พนักงานบัญชี", "ล่ามภาษาเกาหลี", "พนักงานคลังสินค้า"],
            "pay": ["เงินเดือน 18,000 - 25,000 บาท", "เงินเดือนตามตกลง", "เงินเดือน 22,000 บาท"],
            "extra": ["มีประกันสังคม", "สัญญาจ้างชัดเจน", "ไปทำงานต่างประเทศกับกรมการจัดหางาน", "วุฒิปริญญาตรี ประสบการณ์ 2 ปี"],
        },
        "scenarios": [
            {
                "title": "{corp} รับสมัคร{role}",
                "company": "{corp}",
                "salary": "{pay}",
                "basis": "hard negative: Thai company job ad with social security and contract",
                "body": ["{corp} รับสมัคร{role}", "{pay} {extra}", "{extra}", "สมัครทางอีเมล hr@siamfood.co.th"],
                "variants": 3,
            },
            {
                "title": "ไปทำงานเกาหลีกับกรมการจัดหางาน",
                "basis": "hard negative: official Thai overseas-employment programme (DOE)",
                "body": [
                    "กรมการจัดหางานรับสมัครคนงานไปทำงานเกาหลีระบบ EPS",
                    "ต้องสอบภาษาเกาหลี EPS-TOPIK",
                    "ไม่มีค่าหัวคิว สมัครที่สำนักงานจัดหางานจังหวัด",
                ],
                "variants": 2,
            },
        ],
    },
    {
        "lang": "vi",
        "family": "vi-legit",
        "slots": {
            "corp": [
                "Công ty TNHH Điện tử Hanvina",
                "Công ty TNHH May mặc Sài Gòn Xanh",
                "Công ty TNHH Logistics Việt Hàn",
            ],
            "role": ["phiên dịch tiếng Hàn", "kế toán", "nhân viên kho", "quản lý sản xuất"],
            "pay": ["lương 12 - 15 triệu", "lương thỏa thuận", "lương 18 triệu/tháng"],
            "extra": ["hợp đồng lao động", "bảo hiểm xã hội đầy đủ", "tốt nghiệp đại học", "kinh nghiệm 2 năm"],
        },
        "scenarios": [
            {
                "title": "{corp} tuyển {role}",
                "company": "{corp}",
                "salary": "{pay}",
                "basis": "hard negative: Vietnamese company ad with labour contract and social insurance",
                "body": [
                    "{corp} tuyển {role}.",
                    "Yêu cầu: {extra}, {extra}.",
                    "Quyền lợi: {pay}, {extra}.",
                    "Nộp hồ sơ qua email tuyendung@hanvina.vn.",
                ],
                "variants": 3,
            },
            {
                "title": "Chương trình EPS đi làm việc tại Hàn Quốc",
                "basis": "hard negative: official EPS programme notice (Vietnamese)",
                "body": [
                    "Trung tâm Lao động ngoài nước thông báo tuyển lao động đi Hàn Quốc theo chương trình EPS.",
                    "Người lao động phải thi tiếng Hàn EPS-TOPIK.",
                    "Không qua môi giới, không thu phí ngoài quy định.",
                ],
                "variants": 2,
            },
        ],
    },
    {
        "lang": "id",
        "family": "id-legit",
        "slots": {
            "corp": ["PT Maju Bersama Logistik", "PT Sinar Tekstil Indonesia", "PT Nusantara Data Solusi"],
            "role": ["staf gudang", "admin keuangan", "penerjemah bahasa Korea", "supervisor produksi"],
            "pay": ["gaji UMR + tunjangan", "gaji Rp 6 - 8 juta", "gaji sesuai pengalaman"],
            "extra": [
                "BPJS Kesehatan dan Ketenagakerjaan",
                "kontrak kerja jelas",
                "pengalaman minimal 2 tahun",
                "pendidikan minimal S1",
            ],
        },
        "scenarios": [
            {
                "title": "{corp} membuka lowongan {role}",
                "company": "{corp}",
                "salary": "{pay}",
                "basis": "hard negative: Indonesian company ad with BPJS and contract",
                "body": [
                    "{corp} membuka lowongan {role}.",
                    "Kualifikasi: {extra}, {extra}.",
                    "Benefit: {pay}, {extra}.",
                    "Kirim CV ke hrd@majubersama.co.id.",
                ],
                "variants": 3,
            },
            {
                "title": "Program G to G ke Korea (BP2MI)",
                "basis": "hard negative: official government-to-government programme (Indonesian)",
                "body": [
                    "BP2MI membuka pendaftaran program G to G ke Korea Selatan.",
                    "Peserta wajib lulus ujian EPS-TOPIK.",
                    "Tanpa biaya calo, daftar resmi di situs pemerintah.",
                ],
                "variants": 2,
            },
        ],
    },
]
