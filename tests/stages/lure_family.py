"""A synthetic lure family the shipped model has never seen: Spanish-language recruitment
into "customer service" work in Southeast Asia (Latin Americans have been trafficked into
the compounds this way), beside real Spanish-language work abroad reached through the
same messengers, which the shipped model cannot tell apart from the lures.

Each recruiter (one campaign: one handle, one country) writes its ads from the phrases of
its kind: lures promise tourist visas, paid flights and housing inside a compound; real
offers mention work visas, contracts seen by a consulate, degrees. One ad in four also
borrows a phrase of the other kind, as real ads do. A grouped split holds out whole
recruiters, so a model is judged on recruiters it has never seen.
"""

from __future__ import annotations

import random

# Each phrase in a few wordings, so that two ads of one kind share meaning more than text.
SCAM_PHRASES = [
    ("Sin experiencia ni título.", "No pedimos experiencia.", "No importa si nunca trabajaste en esto."),
    (
        "Viajas con visa de turista.",
        "Entras como turista, nosotros arreglamos el resto.",
        "Solo necesitas visa de turista.",
    ),
    (
        "La empresa guarda tu pasaporte por seguridad.",
        "Entregas tu pasaporte al llegar.",
        "Tu pasaporte queda con el jefe de grupo.",
    ),
    ("Pasaje de avión pagado.", "Te pagamos el boleto de avión.", "El vuelo corre por nuestra cuenta."),
    (
        "Comida y vivienda gratis dentro del complejo.",
        "Vives en el complejo, todo incluido.",
        "Dormitorio y comedor en el mismo complejo.",
    ),
    (
        "Chat con clientes para inversiones en criptomonedas.",
        "Atiendes inversionistas de cripto por chat.",
        "Captas clientes para una plataforma de inversión.",
    ),
    (
        "Bonos por cada cliente que consigas.",
        "Comisión por cada depósito de tus clientes.",
        "Metas semanales con premios.",
    ),
    ("No necesitas visa de trabajo.", "Sin trámites de visa laboral.", "El permiso de trabajo no hace falta."),
    (
        "Te recogemos en el aeropuerto y cruzas por tierra.",
        "Un chofer te lleva desde el aeropuerto hasta la frontera.",
        "Del aeropuerto sigues en camioneta.",
    ),
    ("Pago en USDT o en efectivo.", "Cobras en USDT.", "Pagamos en efectivo cada quincena."),
]
LEGIT_PHRASES = [
    (
        "Contrato firmado antes de viajar y revisado por el consulado.",
        "Firmas el contrato en tu país, con visto bueno consular.",
        "El consulado revisa tu contrato antes del viaje.",
    ),
    (
        "Visa de trabajo tramitada por la empresa.",
        "Nosotros gestionamos tu permiso de trabajo.",
        "Patrocinamos la visa laboral.",
    ),
    ("Requisito: título universitario.", "Se pide licenciatura terminada.", "Indispensable título profesional."),
    (
        "Dos años de experiencia comprobable.",
        "Experiencia mínima de dos años.",
        "Pedimos cartas de recomendación de empleos anteriores.",
    ),
    (
        "Seguro médico internacional incluido.",
        "Cobertura médica desde el primer día.",
        "Seguro de gastos médicos mayores.",
    ),
    (
        "Sin cobro al candidato: agencia registrada ante la Secretaría del Trabajo.",
        "Agencia con registro oficial; el proceso es gratuito.",
        "Nunca cobramos por colocarte.",
    ),
    (
        "Entrevista por videollamada con recursos humanos.",
        "Dos entrevistas con el área de personal.",
        "Proceso de selección con pruebas técnicas.",
    ),
    (
        "Alojamiento en un departamento a tu elección.",
        "Apoyo para rentar vivienda en la ciudad.",
        "Te ayudamos a buscar departamento.",
    ),
    (
        "Salario depositado en una cuenta bancaria a tu nombre.",
        "Nómina en cuenta bancaria personal.",
        "Pago por transferencia bancaria mensual.",
    ),
    (
        "Vacaciones pagadas y boleto de regreso anual.",
        "Un vuelo de visita a casa cada año.",
        "Quince días de vacaciones pagadas.",
    ),
]
# Titles carry a promise too, as real ones do (the model also scores titles alone).
TITLE_HOOKS = {
    1: ["sin experiencia", "vuelo pagado", "todo incluido", "pago en USDT", "viaje inmediato", "bonos diarios"],
    0: ["con visa de trabajo", "con seguro médico", "licenciatura requerida", "proceso gratuito", "contrato formal",
        "plaza con prestaciones"],
}  # fmt: skip
JOBS = ["atención al cliente", "operador de chat", "teleoperador", "soporte técnico", "traductor", "analista de ventas"]
COUNTRIES = ["Tailandia", "Camboya", "Myanmar", "Laos", "Malasia", "Dubái"]
APPS = ["Telegram", "WhatsApp", "Line"]
NAMES = {  # recruiters' names, none shared between the kinds
    1: ["Sol", "Delta", "Orión", "Atlas", "Luna", "Nova", "Cima", "Faro", "Brisa", "Roble", "Ámbar", "Cóndor"],
    0: ["Puma", "Vega", "Sierra", "Olivo", "Ceiba", "Jade", "Quetzal", "Nube", "Río", "Cedro", "Alba", "Marea"],
}


def family(per_class: int, recruiters: int = 12, seed: int = 0) -> list[dict]:
    """``per_class`` ads of each kind from ``recruiters`` recruiters each: text, label (1 scam), campaign."""
    rnd = random.Random(seed)
    ads = []
    for label, own, other in ((1, SCAM_PHRASES, LEGIT_PHRASES), (0, LEGIT_PHRASES, SCAM_PHRASES)):
        people = [
            (
                f"{'s' if label else 'l'}{r}",
                f"{rnd.choice(['Grupo', 'Agencia', 'Servicios'])} {NAMES[label][r % 12]}",
                rnd.choice(COUNTRIES),
                rnd.choice(APPS),
                f"@{NAMES[label][r % 12].lower()}_{rnd.randint(10, 99)}",
            )
            for r in range(recruiters)
        ]
        for i in range(per_class):
            name, company, country, app, handle = people[i % recruiters]
            job = rnd.choice(JOBS)
            phrases = [rnd.choice(p) for p in rnd.sample(own, 3)]
            phrases += [rnd.choice(p) for p in rnd.sample(other, 1)] if rnd.random() < 0.25 else []
            phrases += [f"Sueldo de {rnd.randint(15, 40) * 100} USD al mes."]
            rnd.shuffle(phrases)
            ads.append(
                {
                    "title": f"{company} busca {job}, {rnd.choice(TITLE_HOOKS[label])} ({rnd.randint(100, 9999)})",
                    "description": f"{job.capitalize()} en {country}. "
                    + " ".join(phrases)
                    + f" Escríbenos por {app} {handle}.",
                    "label": label,
                    "campaign": name,
                }
            )
    return ads
