/* draftdesk buyer chat widget: hand-written, no dependencies, no build step.
 *
 *   <script src="https://HOST/widget.js" data-draftdesk-seller="NAME" async></script>
 *
 * Optional attributes: data-draftdesk-color="#0b5cad" (theme), data-lang="de" (chrome
 * language), data-draftdesk-api="https://HOST" (API origin, default: where this file came
 * from). Rendered in an open Shadow DOM. Buyer and seller text is only ever set as text
 * (textContent / Text nodes), never parsed as HTML. Nothing the buyer writes is dropped: it
 * waits in a localStorage outbox until the server has accepted it.
 */
(() => {
  'use strict';
  const script = document.currentScript || document.querySelector('script[data-draftdesk-seller]');
  if (!script || !window.fetch || !Element.prototype.attachShadow) return;
  const ds = script.dataset;
  const seller = (ds.draftdeskSeller || '').trim() || location.hostname;
  const origin = (ds.draftdeskApi || new URL(script.src, location.href).origin).replace(/\/+$/, '');
  const API = origin + '/api/v1';
  const MAX = 4000;
  const KEY = 'draftdesk:' + seller + '@' + origin;
  const mounted = (window.__draftdesk = window.__draftdesk || {});
  if (mounted[KEY]) return;
  mounted[KEY] = 1;

  // ---- Chrome strings --------------------------------------------------------------------
  const L = {
    en: ['Chat with us', 'A person reads every message', 'Close chat', 'Your message', 'Ask a question…', 'Send', 'Talk to a person',
      'Hi! How can we help? A person from our team reads every message and replies here.',
      'A person from the team is reviewing your message.',
      'You asked to talk to a person. Someone from the team will reply here — usually within a few hours.',
      'Sending…', 'Not sent yet',
      'You’re offline. Your message is saved and will be sent when you’re back online.',
      'We can’t reach the team right now. Your message is saved — trying again in {n} s.',
      'You’re sending messages quickly. Your message is saved and will be sent in {n} s.',
      'That message couldn’t be sent. It’s back in the box so you can change it.',
      'You', 'Automatic message', 'New reply',
      'We can’t reach the team right now. Anything you write is saved and sent automatically.',
      'Your message is longer than {n} characters. Please shorten it.',
      'Verify your order', 'Order number', 'Last name on the order', 'Verify',
      'Thanks, order {o} is verified. Our reply will include its details.',
      'We couldn’t match that order number and last name. Please check both under Your Orders.',
      'Too many attempts. Please try again later, or ask for a person.',
      'We can’t reach the team right now. Please try again in a moment.',
      'The team has read your messages and no reply is needed, so nothing more is coming. Write here any time if you need something.',
      '✓ A person will reply here',
      'Add photos', 'Photos must be JPEG, PNG or WebP images, at most 5 MB each and 3 at a time.',
      'Sending photos…',
      'Tell me by e-mail when you’ve answered', 'Your e-mail address', 'Save', 'Thanks — the team will see {o} and let you know by e-mail when they have answered.', 'That doesn’t look like an e-mail address.'],
    de: ['Chat mit uns', 'Jede Nachricht wird von einem Menschen gelesen', 'Chat schließen', 'Ihre Nachricht', 'Stellen Sie eine Frage …', 'Senden', 'Mit einem Menschen sprechen',
      'Hallo! Wie können wir helfen? Jemand aus unserem Team liest jede Nachricht und antwortet hier.',
      'Jemand aus dem Team prüft Ihre Nachricht.',
      'Sie möchten mit einem Menschen sprechen. Jemand aus dem Team antwortet hier – meist innerhalb weniger Stunden.',
      'Wird gesendet …', 'Noch nicht gesendet',
      'Sie sind offline. Ihre Nachricht ist gespeichert und wird gesendet, sobald Sie wieder online sind.',
      'Wir erreichen das Team gerade nicht. Ihre Nachricht ist gespeichert – neuer Versuch in {n} s.',
      'Sie senden gerade sehr schnell. Ihre Nachricht ist gespeichert und wird in {n} s gesendet.',
      'Diese Nachricht konnte nicht gesendet werden. Sie steht wieder im Eingabefeld, damit Sie sie ändern können.',
      'Sie', 'Automatische Nachricht', 'Neue Antwort',
      'Wir erreichen das Team gerade nicht. Was Sie schreiben, wird gespeichert und automatisch gesendet.',
      'Ihre Nachricht ist länger als {n} Zeichen. Bitte kürzen Sie sie.',
      'Bestellung bestätigen', 'Bestellnummer', 'Nachname in der Bestellung', 'Bestätigen',
      'Danke, die Bestellung {o} ist bestätigt. Unsere Antwort enthält ihre Details.',
      'Bestellnummer und Nachname passen nicht zusammen. Bitte prüfen Sie beides unter „Meine Bestellungen“.',
      'Zu viele Versuche. Bitte versuchen Sie es später noch einmal oder wählen Sie „Mit einem Menschen sprechen“.',
      'Wir erreichen das Team gerade nicht. Bitte versuchen Sie es gleich noch einmal.',
      'Das Team hat Ihre Nachrichten gelesen. Eine Antwort ist nicht nötig, es kommt also nichts mehr. Schreiben Sie jederzeit hier, wenn Sie etwas brauchen.',
      '✓ Ein Mensch antwortet Ihnen hier',
      'Fotos hinzufügen', 'Fotos müssen JPEG-, PNG- oder WebP-Bilder sein, höchstens 5 MB groß und höchstens 3 auf einmal.',
      'Fotos werden gesendet …',
      'Per E-Mail benachrichtigen, wenn Sie geantwortet haben', 'Ihre E-Mail-Adresse', 'Speichern', 'Danke – das Team sieht {o} und gibt Ihnen per E-Mail Bescheid, sobald es geantwortet hat.', 'Das sieht nicht wie eine E-Mail-Adresse aus.'],
    fr: ['Discuter avec nous', 'Chaque message est lu par une personne', 'Fermer la discussion', 'Votre message', 'Posez votre question…', 'Envoyer', 'Parler à une personne',
      'Bonjour ! Comment pouvons-nous vous aider ? Une personne de notre équipe lit chaque message et répond ici.',
      'Une personne de l’équipe examine votre message.',
      'Vous avez demandé à parler à une personne. Quelqu’un de l’équipe vous répondra ici, généralement en quelques heures.',
      'Envoi…', 'Pas encore envoyé',
      'Vous êtes hors ligne. Votre message est enregistré et sera envoyé dès votre retour en ligne.',
      'Impossible de joindre l’équipe pour le moment. Votre message est enregistré — nouvel essai dans {n} s.',
      'Vous envoyez des messages très vite. Votre message est enregistré et sera envoyé dans {n} s.',
      'Ce message n’a pas pu être envoyé. Il est de nouveau dans la zone de saisie pour que vous puissiez le modifier.',
      'Vous', 'Message automatique', 'Nouvelle réponse',
      'Impossible de joindre l’équipe pour le moment. Ce que vous écrivez est enregistré et envoyé automatiquement.',
      'Votre message dépasse {n} caractères. Merci de le raccourcir.',
      'Vérifier votre commande', 'Numéro de commande', 'Nom de famille sur la commande', 'Vérifier',
      'Merci, la commande {o} est vérifiée. Notre réponse en donnera le détail.',
      'Ce numéro de commande et ce nom ne correspondent pas. Vérifiez les deux dans Vos commandes.',
      'Trop de tentatives. Réessayez plus tard ou demandez à parler à une personne.',
      'Impossible de joindre l’équipe pour le moment. Réessayez dans un instant.',
      'L’équipe a lu vos messages et aucune réponse n’est nécessaire : rien d’autre ne va arriver. Écrivez ici à tout moment si vous avez besoin de quelque chose.',
      '✓ Une personne va vous répondre ici',
      'Ajouter des photos', 'Les photos doivent être des images JPEG, PNG ou WebP, de 5 Mo maximum chacune, 3 à la fois au plus.',
      'Envoi des photos…',
      'Me prévenir par e-mail quand vous avez répondu', 'Votre adresse e-mail', 'Enregistrer', 'Merci — l’équipe verra {o} et vous préviendra par e-mail dès qu’elle aura répondu.', 'Cela ne ressemble pas à une adresse e-mail.'],
    es: ['Chatea con nosotros', 'Una persona lee cada mensaje', 'Cerrar chat', 'Tu mensaje', 'Escribe tu pregunta…', 'Enviar', 'Hablar con una persona',
      '¡Hola! ¿En qué podemos ayudarte? Una persona de nuestro equipo lee cada mensaje y responde aquí.',
      'Una persona del equipo está revisando tu mensaje.',
      'Has pedido hablar con una persona. Alguien del equipo te responderá aquí, normalmente en pocas horas.',
      'Enviando…', 'Aún no enviado',
      'No tienes conexión. Tu mensaje está guardado y se enviará cuando vuelvas a estar en línea.',
      'Ahora mismo no podemos contactar con el equipo. Tu mensaje está guardado; lo intentaremos de nuevo en {n} s.',
      'Estás enviando mensajes muy rápido. Tu mensaje está guardado y se enviará en {n} s.',
      'No se pudo enviar este mensaje. Está de nuevo en el cuadro de texto para que puedas cambiarlo.',
      'Tú', 'Mensaje automático', 'Nueva respuesta',
      'Ahora mismo no podemos contactar con el equipo. Lo que escribas se guardará y se enviará automáticamente.',
      'Tu mensaje tiene más de {n} caracteres. Acórtalo, por favor.',
      'Verifica tu pedido', 'Número de pedido', 'Apellido que figura en el pedido', 'Verificar',
      'Gracias, el pedido {o} está verificado. Nuestra respuesta incluirá sus detalles.',
      'Ese número de pedido y ese apellido no coinciden. Compruébalos en Mis pedidos.',
      'Demasiados intentos. Inténtalo más tarde o pide hablar con una persona.',
      'Ahora mismo no podemos contactar con el equipo. Inténtalo de nuevo en un momento.',
      'El equipo ha leído tus mensajes y no hace falta responder, así que no llegará nada más. Escribe aquí cuando lo necesites.',
      '✓ Una persona te responderá aquí',
      'Añadir fotos', 'Las fotos deben ser imágenes JPEG, PNG o WebP, de 5 MB como máximo cada una y hasta 3 a la vez.',
      'Enviando fotos…',
      'Avisarme por correo cuando hayáis respondido', 'Tu correo electrónico', 'Guardar', 'Gracias: el equipo verá {o} y te avisará por correo cuando haya respondido.', 'Eso no parece una dirección de correo.'],
    it: ['Scrivici in chat', 'Ogni messaggio viene letto da una persona', 'Chiudi la chat', 'Il tuo messaggio', 'Fai una domanda…', 'Invia', 'Parla con una persona',
      'Ciao! Come possiamo aiutarti? Una persona del nostro team legge ogni messaggio e risponde qui.',
      'Una persona del team sta esaminando il tuo messaggio.',
      'Hai chiesto di parlare con una persona. Qualcuno del team ti risponderà qui, di solito entro poche ore.',
      'Invio in corso…', 'Non ancora inviato',
      'Sei offline. Il tuo messaggio è salvato e verrà inviato appena torni online.',
      'Al momento non riusciamo a raggiungere il team. Il tuo messaggio è salvato: nuovo tentativo tra {n} s.',
      'Stai inviando messaggi molto rapidamente. Il tuo messaggio è salvato e verrà inviato tra {n} s.',
      'Non è stato possibile inviare questo messaggio. È di nuovo nella casella di testo, così puoi modificarlo.',
      'Tu', 'Messaggio automatico', 'Nuova risposta',
      'Al momento non riusciamo a raggiungere il team. Ciò che scrivi viene salvato e inviato automaticamente.',
      'Il tuo messaggio supera i {n} caratteri. Per favore, accorcialo.',
      'Verifica il tuo ordine', 'Numero d’ordine', 'Cognome indicato nell’ordine', 'Verifica',
      'Grazie, l’ordine {o} è verificato. La nostra risposta ne includerà i dettagli.',
      'Questo numero d’ordine e questo cognome non corrispondono. Controllali in I miei ordini.',
      'Troppi tentativi. Riprova più tardi oppure chiedi di parlare con una persona.',
      'Al momento non riusciamo a raggiungere il team. Riprova tra poco.',
      'Il team ha letto i tuoi messaggi e non serve una risposta, quindi non arriverà altro. Scrivi qui quando vuoi, se hai bisogno di qualcosa.',
      '✓ Una persona ti risponderà qui',
      'Aggiungi foto', 'Le foto devono essere immagini JPEG, PNG o WebP, al massimo 5 MB ciascuna e non più di 3 alla volta.',
      'Invio delle foto…',
      'Avvisami via e-mail quando avete risposto', 'Il tuo indirizzo e-mail', 'Salva', 'Grazie: il team vedrà {o} e ti avviserà via e-mail quando avrà risposto.', 'Non sembra un indirizzo e-mail.'],
    ja: ['チャットで問い合わせ', 'すべてのメッセージをスタッフが読みます', 'チャットを閉じる', 'メッセージ', 'ご質問を入力してください…', '送信', '担当者と話す',
      'こんにちは。ご用件をお聞かせください。すべてのメッセージをスタッフが読み、ここで返信します。',
      '担当者がメッセージを確認しています。',
      '担当者との対応をご希望いただきました。通常、数時間以内にスタッフがここで返信いたします。',
      '送信中…', '未送信',
      'オフラインです。メッセージは保存され、オンラインに戻ると送信されます。',
      '現在サーバーに接続できません。メッセージは保存されています。{n} 秒後に再試行します。',
      '短時間に多くのメッセージが送信されました。メッセージは保存され、{n} 秒後に送信されます。',
      'このメッセージを送信できませんでした。編集できるよう入力欄に戻しました。',
      'あなた', '自動メッセージ', '新しい返信',
      '現在サーバーに接続できません。入力した内容は保存され、自動的に送信されます。',
      'メッセージが {n} 文字を超えています。短くしてください。',
      'ご注文の確認', '注文番号', 'ご注文者の姓', '確認する',
      'ありがとうございます。注文 {o} を確認しました。返信にご注文の詳細を記載します。',
      '注文番号と姓が一致しませんでした。注文履歴で両方をご確認ください。',
      '試行回数が上限に達しました。しばらくしてからもう一度お試しいただくか、担当者にお問い合わせください。',
      '現在サーバーに接続できません。しばらくしてからもう一度お試しください。',
      'スタッフがメッセージを確認しました。返信は不要と判断したため、これ以上のご連絡はありません。ご用の際はいつでもここにご記入ください。',
      '✓ 担当者がここで返信します',
      '写真を追加', '写真は JPEG・PNG・WebP 形式で、1 枚 5 MB まで、一度に 3 枚までです。',
      '写真を送信中…',
      '返信したらメールで知らせてほしい', 'メールアドレス', '保存', 'ありがとうございます。スタッフが {o} を確認し、返信したらメールでお知らせします。', 'メールアドレスの形式ではないようです。'],
    zh: ['在线咨询', '每条消息都由真人阅读', '关闭聊天', '您的消息', '请输入您的问题…', '发送', '联系人工客服',
      '您好！有什么可以帮您？我们团队的工作人员会阅读每条消息并在此回复。',
      '团队工作人员正在查看您的消息。',
      '您已要求与工作人员沟通。团队成员会在此回复您，通常在几小时内。',
      '正在发送…', '尚未发送',
      '您已离线。消息已保存，恢复联网后将自动发送。',
      '暂时无法连接到我们的团队。您的消息已保存，将在 {n} 秒后重试。',
      '您发送消息过快。消息已保存，将在 {n} 秒后发送。',
      '此消息无法发送，已放回输入框，您可以修改后再发送。',
      '您', '自动消息', '新回复',
      '暂时无法连接到我们的团队。您输入的内容会被保存并自动发送。',
      '您的消息超过 {n} 个字符，请缩短。',
      '验证您的订单', '订单号', '订单上的姓氏', '验证',
      '谢谢，订单 {o} 已验证。我们的回复将包含订单详情。',
      '订单号与姓氏不匹配。请在“我的订单”中核对这两项。',
      '尝试次数过多。请稍后再试，或联系人工客服。',
      '暂时无法连接到我们的团队。请稍后再试。',
      '团队已阅读您的消息，无需回复，因此不会再有新的消息。如有需要，请随时在此留言。',
      '✓ 工作人员将在此回复您',
      '添加照片', '照片须为 JPEG、PNG 或 WebP 格式，每张不超过 5 MB，一次最多 3 张。',
      '正在发送照片…',
      '回复后通过电子邮件通知我', '您的电子邮件地址', '保存', '谢谢，团队会看到 {o}，回复后将通过电子邮件通知您。', '这看起来不像电子邮件地址。'],
  };
  const K = ['open', 'sub', 'close', 'label', 'ph', 'send', 'human', 'hello', 'review', 'handoff', 'sending', 'queued',
    'offline', 'retry', 'rate', 'bad', 'you', 'auto', 'unread', 'down', 'long',
    'vtitle', 'vorder', 'vname', 'vgo', 'vok', 'vno', 'vmany', 'vdown', 'done', 'asked', 'photo', 'pbad', 'psending', 'ntitle', 'nemail', 'ngo', 'nok', 'nbad'];
  const lang = [ds.lang, document.documentElement.lang, ...(navigator.languages || [navigator.language])]
    .map((x) => (x || '').slice(0, 2).toLowerCase()).find((x) => L[x]) || 'en';
  const fmt = (n) => Number(n).toLocaleString(lang);
  // A message's time in the buyer's own clock and language; the date too when not today.
  const when = (iso) => {
    const d = new Date(iso);
    if (!iso || isNaN(d)) return '';
    const sameDay = d.toDateString() === new Date().toDateString();
    return d.toLocaleString(lang, sameDay ? { hour: '2-digit', minute: '2-digit' }
      : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  };
  const t = (k, n) => L[lang][K.indexOf(k)].replace('{n}', n == null ? '' : fmt(n));

  // ---- Theme: any accent colour, text on it picked for WCAG AA contrast ---------------------
  const accent = /^#([0-9a-f]{3}){1,2}$/i.test(ds.draftdeskColor || '') ? ds.draftdeskColor : '#0b5cad';
  const lum = (hex) => {
    const x = hex.length === 4 ? hex.replace(/[0-9a-f]/gi, '$&$&') : hex;
    const c = [1, 3, 5].map((i) => parseInt(x.slice(i, i + 2), 16) / 255)
      .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const onWhite = 1.05 / (lum(accent) + 0.05); // contrast of white against the accent
  const onBlack = (lum(accent) + 0.05) / 0.05;
  const fg = onWhite >= onBlack ? '#fff' : '#000'; // max of the two is always >= 4.58:1
  const ring = onWhite >= 3 ? accent : '#1b1b1b'; // focus ring must stand out on white

  const CSS = `
:host{all:initial!important;display:block!important;position:fixed!important;right:0!important;bottom:0!important;width:0!important;height:0!important;margin:0!important;padding:0!important;z-index:2147483647!important;visibility:visible!important;opacity:1!important;pointer-events:auto!important}
.root{--a:${accent};--af:${fg};--ring:${ring};font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans","Hiragino Sans","PingFang SC","Microsoft YaHei",sans-serif;color:#1b1b1b;text-align:left;-webkit-text-size-adjust:100%}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
.sr{position:absolute!important;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
button,textarea{font:inherit;color:inherit;margin:0;letter-spacing:normal;text-transform:none}
button{cursor:pointer}
:focus-visible{outline:3px solid var(--ring);outline-offset:2px}
.launcher{position:fixed;right:20px;bottom:20px;display:flex;align-items:center;gap:8px;min-height:48px;padding:0 18px;border:0;border-radius:24px;background:var(--a);color:var(--af);font-weight:600;box-shadow:0 4px 14px rgba(0,0,0,.25)}
.launcher svg{width:22px;height:22px;fill:currentColor;flex:none}
.badge{width:12px;height:12px;border-radius:50%;background:#c5221f;border:2px solid #fff}
.panel{position:fixed;right:20px;bottom:84px;width:380px;max-width:calc(100vw - 40px);height:600px;max-height:calc(100vh - 108px);display:flex;flex-direction:column;background:#fff;border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.3);overflow:hidden;animation:dd-in .18s ease-out}
@keyframes dd-in{from{opacity:0;transform:translateY(12px)}}
header{display:flex;align-items:flex-start;gap:8px;padding:14px 12px 14px 16px;background:var(--a);color:var(--af)}
header :focus-visible{outline-color:currentColor}
h2{margin:0;font-size:17px;font-weight:700;line-height:1.3}
.sub{margin:2px 0 0;font-size:13px}
.close{margin-left:auto;flex:none;width:40px;height:40px;border:0;border-radius:50%;background:transparent;font-size:26px;line-height:1}
.body{flex:1;overflow-y:auto;padding:12px 16px;display:flex;flex-direction:column;gap:10px;overscroll-behavior:contain}
.hello{margin:0;color:#474c54;font-size:14px}
.log{display:flex;flex-direction:column;gap:8px}
.m{display:flex;flex-direction:column;max-width:85%;align-self:flex-start}
.m.buyer{align-self:flex-end;align-items:flex-end}
.m.system{align-self:center;max-width:100%;text-align:center}
.b{padding:9px 13px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere}
.buyer .b{background:var(--a);color:var(--af);border-bottom-right-radius:4px}
.seller .b{background:#eceef1;color:#1b1b1b;border-bottom-left-radius:4px}
.system .b{padding:2px 8px;color:#474c54;font-size:13px}
.b a{color:inherit;text-decoration:underline}
.meta{font-size:11px;line-height:1.25;color:#474c54}
.meta:empty{display:none}
.status:empty{padding:0;border:0}
.status{margin:0;padding:8px 16px;font-size:13px;color:#33383f;background:#f3f4f6;border-top:1px solid #dde0e4}
form{margin:0;padding:10px 12px 12px;border-top:1px solid #dde0e4}
.human{display:block;width:100%;margin:0 0 8px;padding:8px;border:1px solid #5f6670;border-radius:8px;background:#fff;font-size:14px}
.human.on{border-color:#1e6b34;background:#e7f4ea;color:#174f27;font-weight:600;cursor:default}
textarea{display:block;width:100%;min-height:46px;max-height:140px;resize:vertical;padding:9px 11px;border:1px solid #6b717b;border-radius:8px;background:#fff;color:#1b1b1b}
textarea::placeholder{color:#5f6670;opacity:1}
.row{display:flex;align-items:center;justify-content:space-between;gap:8px;margin-top:8px}
.count{font-size:12px;color:#474c54}
.count.over{color:#b3261e;font-weight:600}
.send{min-height:40px;padding:0 18px;border:0;border-radius:8px;background:var(--a);color:var(--af);font-weight:600}
.send:disabled{opacity:.5;cursor:not-allowed}
.actions{display:flex;gap:8px}
.extras{display:flex;flex-wrap:wrap;gap:0 16px;padding:6px 12px 0}.extras .verify{padding:0}.extras details[open]{flex-basis:100%}
.photo{min-height:40px;padding:0 12px;border:1px solid #5f6670;border-radius:8px;background:#fff;font-size:14px}
.verify{padding:8px 12px 0;font-size:14px}.verify summary{cursor:pointer}.verify form{padding:8px 0 0;border:0;display:grid;gap:6px}.verify input{font:inherit;padding:7px 10px;border:1px solid #6b717b;border-radius:8px}.verify p{margin:0;font-size:13px}
@media (max-width:480px){.panel{top:0;left:0;right:0;bottom:0;width:auto;max-width:none;height:auto;max-height:none;border-radius:0}.launcher{right:12px;bottom:12px}textarea{font-size:16px}}
@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important;scroll-behavior:auto!important}}`;

  // ---- State ------------------------------------------------------------------------------
  // st (persisted): id, token, outbox [{k:'m'|'h', lid, text}], seen (seller replies read),
  // handoff (seller replies seen when the buyer asked for a person).
  const load = () => { try { return JSON.parse(localStorage.getItem(KEY)) || {}; } catch (e) { return {}; } };
  let st = load();
  st.outbox = st.outbox || [];
  const save = () => { try { localStorage.setItem(KEY, JSON.stringify(st)); } catch (e) { /* private mode: memory only */ } };
  let msgs = []; // the server's thread: [{id, role, text}]
  let posted = []; // accepted by the server but not yet seen in a fetched thread
  let acks = {}; // buyer message id -> acknowledgement text from the 202 answer
  let status = null; // {state, needs_person, awaiting_reply}: the stream's first event, then live
  let note = ''; let noteN = 0; // what went wrong last, shown in the status line
  let isOpen = false; let flushing = false; let tries = 0; let timer = 0;

  // ---- DOM --------------------------------------------------------------------------------
  const h = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    e.append(...kids);
    return e;
  };
  const host = document.createElement('draftdesk-chat');
  const root = host.attachShadow({ mode: 'open' });
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet]; // not subject to the host page's style-src CSP
  } catch (e) { root.append(h('style', {}, CSS)); }

  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  path.setAttribute('d', 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z');
  svg.append(path);
  const badge = h('span', { class: 'badge', hidden: '' }, h('span', { class: 'sr' }, t('unread')));
  const launcher = h('button', { type: 'button', class: 'launcher', 'data-testid': 'draftdesk-launcher',
    'aria-expanded': 'false', 'aria-controls': 'dd-panel' }, svg, h('span', {}, t('open')), badge);
  const closeBtn = h('button', { type: 'button', class: 'close', 'aria-label': t('close') }, '×');
  const log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': seller });
  const body = h('div', { class: 'body' }, h('p', { class: 'hello' }, t('hello')), log);
  const statusEl = h('p', { class: 'status', role: 'status' });
  const human = h('button', { type: 'button', class: 'human', 'data-testid': 'draftdesk-human' }, t('human'));
  const input = h('textarea', { id: 'dd-input', rows: '2', placeholder: t('ph'), 'aria-describedby': 'dd-count',
    'data-testid': 'draftdesk-input', autocomplete: 'off' });
  const count = h('span', { id: 'dd-count', class: 'count' });
  const sendBtn = h('button', { type: 'submit', class: 'send', 'data-testid': 'draftdesk-send' }, t('send'));
  // Damage photos: the server checks the bytes; here only what the buyer can fix at once.
  const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
  const photoInput = h('input', { type: 'file', accept: PHOTO_TYPES.join(','), multiple: '', hidden: '',
    'data-testid': 'draftdesk-photo-input' });
  const photoBtn = h('button', { type: 'button', class: 'photo', 'data-testid': 'draftdesk-photo' }, t('photo'));
  const form = h('form', {}, human, h('label', { for: 'dd-input', class: 'sr' }, t('label')), input,
    h('div', { class: 'row' }, count, h('span', { class: 'actions' }, photoBtn, sendBtn)), photoInput);
  // "Verify your order": the buyer shows an order is theirs so replies may give its details.
  const vOrder = h('input', { id: 'dd-v-order', name: 'order_id', required: '', maxlength: '40',
    placeholder: '123-1234567-1234567', autocomplete: 'off', 'data-testid': 'draftdesk-verify-order' });
  const vName = h('input', { id: 'dd-v-name', name: 'last_name', required: '', maxlength: '100',
    autocomplete: 'family-name', 'data-testid': 'draftdesk-verify-name' });
  const vNote = h('p', { role: 'status', 'data-testid': 'draftdesk-verify-status' });
  const vForm = h('form', {}, h('label', { for: 'dd-v-order' }, t('vorder')), vOrder,
    h('label', { for: 'dd-v-name' }, t('vname')), vName,
    h('button', { type: 'submit', class: 'send', 'data-testid': 'draftdesk-verify-send' }, t('vgo')), vNote);
  const verify = h('details', { class: 'verify' }, h('summary', { 'data-testid': 'draftdesk-verify' }, t('vtitle')), vForm);
  // "Tell me when you've answered": an address the team sees with the conversation.
  const nEmail = h('input', { id: 'dd-n-email', type: 'email', name: 'email', required: '', maxlength: '254',
    autocomplete: 'email', 'data-testid': 'draftdesk-notice-email' });
  const nNote = h('p', { role: 'status', 'data-testid': 'draftdesk-notice-status' });
  const nForm = h('form', {}, h('label', { for: 'dd-n-email' }, t('nemail')), nEmail,
    h('button', { type: 'submit', class: 'send', 'data-testid': 'draftdesk-notice-send' }, t('ngo')), nNote);
  const notice = h('details', { class: 'verify' }, h('summary', { 'data-testid': 'draftdesk-notice' }, t('ntitle')), nForm);
  const panel = h('section', { id: 'dd-panel', class: 'panel', role: 'dialog', 'aria-modal': 'false',
    'aria-labelledby': 'dd-title', hidden: '' },
  h('header', {}, h('div', {}, h('h2', { id: 'dd-title' }, seller), h('p', { class: 'sub' }, t('sub'))), closeBtn),
  body, statusEl, h('div', { class: 'extras' }, verify, notice), form);
  root.append(h('div', { class: 'root', lang }, launcher, panel));

  // ---- HTTP -------------------------------------------------------------------------------
  const conv = (p) => '/conversations/' + encodeURIComponent(st.id) + p;
  const req = (method, path, json, key) => {
    const headers = {};
    if (st.token && path !== '/conversations') headers.Authorization = 'Bearer ' + st.token;
    if (json) headers['Content-Type'] = 'application/json';
    if (key) headers['Idempotency-Key'] = key;
    return fetch(API + path, { method, headers, body: json && JSON.stringify(json), credentials: 'omit', cache: 'no-store' });
  };
  const retryAfter = (r) => {
    const v = r.headers.get('Retry-After') || '';
    const s = /^\d+$/.test(v) ? +v : (Date.parse(v) - Date.now()) / 1000;
    return Math.max(1, Math.ceil(s) || 5);
  };

  let creating = null;
  const ensureConversation = () => (st.id ? Promise.resolve() : creating || (creating = (async () => {
    try {
      const r = await req('POST', '/conversations', { locale: lang });
      if (!r.ok) throw r;
      const j = await r.json();
      st.id = String(j.id);
      st.token = j.token;
      save();
      stream();
    } finally { creating = null; }
  })()));

  // The token no longer opens the conversation (deleted, or another device): start afresh.
  const forget = () => {
    st.id = st.token = null;
    delete st.handoff;
    msgs = []; posted = []; acks = {}; status = null;
    stopStream();
    save();
  };

  let syncing = false; let again = false;
  const sync = async () => {
    if (!st.id) return;
    if (syncing) { again = true; return; }
    syncing = true;
    try {
      const r = await req('GET', conv('/messages'));
      if (r.status === 404) forget();
      else if (r.ok) {
        const fresh = (await r.json()).messages || [];
        const ids = new Set(fresh.map((m) => String(m.id)));
        const newest = Math.max(0, ...fresh.map((m) => +m.id || 0));
        // Keep what the stream delivered after this snapshot was taken (ids only grow).
        msgs = fresh.concat(msgs.filter((m) => !ids.has(String(m.id)) && +m.id > newest));
        posted = posted.filter((m) => !ids.has(m.id));
      }
    } catch (e) { /* unreachable: the stream's reconnect brings us back here */ }
    syncing = false;
    render();
    if (again) { again = false; sync(); }
  };

  // Live events over fetch streaming: EventSource cannot send the Authorization header.
  let streamCtl = null; let streamFails = 0; let pollTimer = 0;
  const stopStream = () => {
    const c = streamCtl; streamCtl = null; if (c) c.abort();
    clearInterval(pollTimer); pollTimer = 0;
  };
  const onEvent = (type, data) => {
    let j = null;
    try { j = JSON.parse(data); } catch (e) { /* not JSON: re-fetch below */ }
    if (type === 'message' && j && j.id != null) {
      if (!msgs.some((m) => String(m.id) === String(j.id))) msgs.push(j);
      render();
    } else if (type === 'status' && j) { status = j; render(); } else if (type !== 'ping') sync();
  };
  const stream = async () => {
    if (!st.id || streamCtl) return;
    const ctl = (streamCtl = new AbortController());
    let connected = false;
    try {
      const r = await fetch(API + conv('/events'), { headers: { Authorization: 'Bearer ' + st.token,
        Accept: 'text/event-stream' }, credentials: 'omit', cache: 'no-store', signal: ctl.signal });
      if (!r.ok || !r.body) throw r;
      connected = true; streamFails = 0;
      clearInterval(pollTimer); pollTimer = 0;
      sync(); // catch up on anything missed while disconnected
      if (st.outbox.length) { tries = 0; flush(); } // the server is back: don't wait for the timer
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf = (buf + value).replace(/\r\n?/g, '\n');
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i); buf = buf.slice(i + 2);
          let type = 'message'; const data = [];
          for (const line of block.split('\n')) {
            const m = /^(event|data): ?(.*)$/.exec(line);
            if (m && m[1] === 'event') type = m[2]; else if (m) data.push(m[2]);
          }
          if (data.length) onEvent(type, data.join('\n'));
        }
      }
    } catch (e) { /* network error or aborted */ }
    if (streamCtl !== ctl) return; // stopped on purpose
    streamCtl = null;
    status = null; // the stream keeps the status fresh; without it, judge from the thread
    if (!connected) streamFails++;
    // While there is no stream (a proxy that blocks it, a server restart), poll the thread.
    if (!pollTimer) pollTimer = setInterval(sync, 10000);
    setTimeout(stream, Math.min(60, 2 ** Math.min(streamFails, 6)) * 1000);
  };

  // ---- Outbox: messages and "talk to a person" requests, sent in order, retried ------------
  const later = (seconds, why) => {
    clearTimeout(timer);
    timer = setTimeout(flush, seconds * 1000);
    note = why; noteN = seconds;
  };
  const flush = async () => {
    if (flushing || !st.outbox.length) return;
    flushing = true; clearTimeout(timer); render();
    let lost = 0;
    try {
      while (st.outbox.length) {
        await ensureConversation();
        const o = st.outbox[0];
        const r = await req('POST', conv(o.k === 'h' ? '/handoff' : '/messages'), o.k === 'h' ? {} : { text: o.text }, o.lid);
        if (r.ok) {
          const j = await r.json().catch(() => ({}));
          st.outbox.shift();
          if (o.k === 'h') { if (j && j.needs_person != null) status = j; } else if (j.id != null) {
            const id = String(j.id);
            posted.push({ id, role: 'buyer', text: o.text, created_at: new Date().toISOString() });
            if (j.ack && j.ack.text) acks[id] = j.ack.text;
            rekey('o:' + o.lid, 's:' + id);
          }
          save(); note = ''; tries = 0; render();
        } else if (r.status === 404 && !lost++) forget();
        else if (r.status === 429) { later(retryAfter(r), 'rate'); return; } else if (r.status === 409 && ((await r.json().catch(() => ({}))).error || {}).code === 'idempotency_key_in_progress') {
          later(1, 'retry'); return; // our earlier try with this key is still being answered: ask again
        } else if (r.status >= 400 && r.status < 500 && r.status !== 408) {
          // Refused as it is (too long, control characters...): give the text back to edit.
          st.outbox.shift(); save();
          if (o.k === 'm') { input.value = input.value ? o.text + '\n' + input.value : o.text; counter(); note = 'bad'; }
        } else throw r;
      }
      sync();
    } catch (e) {
      if (e && e.status === 429) later(retryAfter(e), 'rate');
      else later(Math.round(Math.min(15, 2 ** tries++) * (0.8 + Math.random() * 0.4)) || 1, navigator.onLine === false ? 'offline' : 'retry');
    } finally { flushing = false; render(); }
  };

  // ---- Rendering --------------------------------------------------------------------------
  const els = new Map();
  // Keep the bubble (and the screen reader's place) when a local item gets its server id.
  const rekey = (from, to) => { const e = els.get(from); if (e && !els.has(to)) { els.delete(from); els.set(to, e); } };
  const fill = (b, text, links) => {
    let last = 0;
    // Seller replies may carry links (checked before approval): make only http(s) URLs clickable.
    if (links) {
      for (const m of text.matchAll(/https?:\/\/[^\s<>"']*[^\s<>"'.,;:!?)\]]/g)) {
        b.append(text.slice(last, m.index), h('a', { href: m[0], target: '_blank', rel: 'noopener noreferrer nofollow' }, m[0]));
        last = m.index + m[0].length;
      }
    }
    b.append(text.slice(last));
  };
  const item = (d) => {
    let e = els.get(d.k);
    if (!e) {
      const role = d.role === 'buyer' || d.role === 'seller' ? d.role : 'system';
      const b = h('div', { class: 'b', 'data-testid': 'draftdesk-message', 'data-role': role });
      fill(b, String(d.text), role === 'seller');
      e = h('div', { class: 'm ' + role }, h('span', { class: 'sr' },
        (role === 'buyer' ? t('you') : role === 'seller' ? seller : t('auto')) + ': '), b, h('span', { class: 'meta' }));
      els.set(d.k, e);
    }
    // Automatic notes need no time of their own: they sit under the message they answer.
    const meta = d.meta || (d.role === 'system' ? '' : when(d.at));
    if (e.lastChild.textContent !== meta) e.lastChild.textContent = meta;
    if (meta && !d.meta) e.lastChild.setAttribute('title', new Date(d.at).toLocaleString(lang));
    return e;
  };
  const thread = () => {
    const ids = new Set(msgs.map((m) => String(m.id)));
    const all = msgs.concat(posted.filter((m) => !ids.has(m.id)));
    const out = [];
    all.forEach((m, i) => {
      out.push({ k: 's:' + m.id, role: m.role, text: m.text, at: m.created_at });
      const ack = acks[m.id];
      if (!ack) return;
      const next = all[i + 1]; // the server stores the acknowledgement right after the message
      if (next && next.role === 'system') { rekey('a:' + m.id, 's:' + next.id); delete acks[m.id]; } else out.push({ k: 'a:' + m.id, role: 'system', text: ack, at: m.created_at });
    });
    st.outbox.forEach((o, i) => {
      if (o.k === 'm') out.push({ k: 'o:' + o.lid, role: 'buyer', text: o.text, meta: t(i === 0 && flushing && !note ? 'sending' : 'queued') });
    });
    return { all, out };
  };
  const statusText = (all) => {
    if (note) return t(note, note === 'long' ? MAX : noteN);
    if (st.outbox.length && navigator.onLine === false) return t('offline');
    const last = all.filter((m) => m.role !== 'system').pop();
    // The server says nothing is unanswered, yet the buyer spoke last: the team decided no
    // reply is needed. Only then do we say nothing more is coming.
    if (settledWithoutReply(all)) return t('done');
    const waiting = status ? status.awaiting_reply : !!last && last.role === 'buyer';
    const asked = personAsked(all);
    // Only this buyer's own request reads "you asked for a person" (an agent's escalation
    // also sets needs_person on the server, and the buyer asked for nothing).
    if (waiting || asked) return t(asked ? 'handoff' : 'review');
    return '';
  };
  const settledWithoutReply = (all) => {
    const last = all.filter((m) => m.role !== 'system').pop();
    return !!status && status.state === 'answered' && !status.awaiting_reply && !!last
      && last.role === 'buyer' && !st.outbox.length;
  };
  // Asked for a person and no reply from the team since (nor a "no reply needed").
  const personAsked = (all) => st.handoff != null && !settledWithoutReply(all)
    && all.filter((m) => m.role === 'seller').length <= st.handoff;
  // Scroll to the newest message; a long new reply from the team is shown from its start.
  const reveal = (replyStart) => {
    body.scrollTop = body.scrollHeight;
    const last = log.lastElementChild;
    if (replyStart && last && last.classList.contains('seller') && last.offsetHeight > body.clientHeight * 0.6) {
      body.scrollTop += last.getBoundingClientRect().top - body.getBoundingClientRect().top - 12;
    }
  };
  const render = () => {
    const { all, out } = thread();
    const atEnd = body.scrollHeight - body.scrollTop - body.clientHeight < 60;
    let ref = log.firstChild; let grew = false; let lastIsNew = false;
    const keep = new Set();
    for (const d of out) {
      lastIsNew = !els.has(d.k);
      const e = item(d);
      keep.add(d.k);
      if (e === ref) ref = ref.nextSibling; else { log.insertBefore(e, ref); grew = true; }
    }
    while (ref) { const n = ref.nextSibling; ref.remove(); ref = n; }
    for (const k of [...els.keys()]) if (!keep.has(k)) els.delete(k);
    // "No response needed" closed the wait, the person request included: a later message
    // starts afresh.
    if (st.handoff != null && settledWithoutReply(all)) { delete st.handoff; save(); }
    const s = statusText(all);
    if (statusEl.textContent !== s) statusEl.textContent = s;
    const asked = personAsked(all);
    const label = t(asked ? 'asked' : 'human');
    if (human.textContent !== label) human.textContent = label;
    human.classList.toggle('on', asked);
    human.setAttribute('aria-pressed', String(asked));
    if (atEnd || (grew && st.outbox.length)) reveal(grew && lastIsNew); // stay pinned
    const replies = all.filter((m) => m.role === 'seller').length;
    if (isOpen && st.seen !== replies) { st.seen = replies; save(); }
    badge.hidden = isOpen || replies <= (st.seen || 0);
  };
  const counter = () => {
    const n = [...input.value].length;
    const over = n > MAX;
    count.textContent = fmt(n) + ' / ' + fmt(MAX);
    count.classList.toggle('over', over);
    sendBtn.disabled = over;
    input.setAttribute('aria-invalid', String(over));
    if (over !== (note === 'long')) { if (over || note === 'long') note = over ? 'long' : ''; render(); }
  };

  // ---- Behaviour --------------------------------------------------------------------------
  const open = (focus) => {
    isOpen = true;
    panel.hidden = false;
    launcher.setAttribute('aria-expanded', 'true');
    try { sessionStorage.setItem(KEY, '1'); } catch (e) { /* ignore */ }
    const unseen = !badge.hidden;
    render();
    reveal(unseen);
    if (focus) input.focus({ preventScroll: true });
    if (!st.id) {
      ensureConversation().then(render, () => { if (!note) { note = 'down'; render(); } });
    }
  };
  const close = () => {
    isOpen = false;
    panel.hidden = true;
    launcher.setAttribute('aria-expanded', 'false');
    try { sessionStorage.removeItem(KEY); } catch (e) { /* ignore */ }
    render();
    launcher.focus();
  };
  // Full screen (phones) the panel covers the page: Tab cycles inside it instead of walking
  // into the invisible page underneath.
  const fullScreen = window.matchMedia('(max-width:480px)');
  const markModal = () => panel.setAttribute('aria-modal', String(fullScreen.matches));
  markModal();
  if (fullScreen.addEventListener) fullScreen.addEventListener('change', markModal);
  const trapFocus = (e) => {
    const items = [...panel.querySelectorAll('button,textarea,input,summary,a[href]')]
      .filter((el) => !el.disabled && el.getClientRects().length);
    if (!items.length) return;
    const first = items[0]; const lastItem = items[items.length - 1];
    const active = root.activeElement;
    if (e.shiftKey && (active === first || !panel.contains(active))) { e.preventDefault(); lastItem.focus(); } else if (!e.shiftKey && (active === lastItem || !panel.contains(active))) { e.preventDefault(); first.focus(); }
  };
  const lid = () => Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
  const send = () => {
    // Strip control characters the server refuses (keeps tabs and line breaks).
    const text = input.value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, '').trim();
    if (!text || [...text].length > MAX) return;
    st.outbox.push({ k: 'm', lid: lid(), text });
    save();
    input.value = '';
    if (note === 'bad' || note === 'down' || note === 'pbad') note = '';
    counter(); render(); flush();
  };

  const sendPhotos = async (files) => {
    if (!files.length) return;
    if (files.length > 3 || files.some((f) => f.size > 5 * 1024 * 1024 || !PHOTO_TYPES.includes(f.type))) {
      note = 'pbad'; render(); return;
    }
    note = 'psending'; render();
    try {
      await ensureConversation();
      const data = new FormData();
      files.forEach((f) => data.append('photo', f, f.name));
      const r = await fetch(API + '/buyer-photos/' + encodeURIComponent(st.id), { method: 'POST',
        headers: { Authorization: 'Bearer ' + st.token }, body: data, credentials: 'omit', cache: 'no-store' });
      if (r.ok) {
        const j = await r.json();
        const id = String(j.id);
        posted.push({ id, role: 'buyer', text: files.map((f) => '[photo: ' + f.name + ']').join('\n'),
          created_at: new Date().toISOString() });
        if (j.ack && j.ack.text) acks[id] = j.ack.text;
        note = ''; sync();
      } else note = r.status === 429 ? 'rate' : r.status < 500 ? 'pbad' : 'down';
      if (note === 'rate') noteN = retryAfter(r);
    } catch (e) { note = 'down'; }
    render();
  };
  photoBtn.addEventListener('click', () => photoInput.click());
  photoInput.addEventListener('change', () => { const files = [...photoInput.files]; photoInput.value = ''; sendPhotos(files); });
  launcher.addEventListener('click', () => (isOpen ? close() : open(true)));
  closeBtn.addEventListener('click', close);
  root.addEventListener('keydown', (e) => { // Escape from anywhere in the widget
    if (e.key === 'Escape' && isOpen && !e.isComposing) { e.preventDefault(); close(); }
    if (e.key === 'Tab' && isOpen && fullScreen.matches) trapFocus(e);
  });
  form.addEventListener('submit', (e) => { e.preventDefault(); send(); });
  input.addEventListener('keydown', (e) => {
    // Enter sends, Shift+Enter breaks the line; never while an IME is composing (ja, zh).
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); send(); }
  });
  input.addEventListener('input', () => { if (note === 'bad' || note === 'pbad') note = ''; counter(); });
  human.addEventListener('click', () => {
    if (human.getAttribute('aria-pressed') === 'true') return; // already asked: nothing to undo
    if (!st.outbox.some((o) => o.k === 'h')) st.outbox.push({ k: 'h', lid: lid() });
    st.handoff = thread().all.filter((m) => m.role === 'seller').length;
    save(); render(); flush();
  });
  vForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { order_id: vOrder.value.trim(), last_name: vName.value.trim() };
    if (!body.order_id || !body.last_name) return;
    try {
      await ensureConversation();
      const r = await req('POST', conv('/order-verification'), body);
      if (r.ok) {
        const j = await r.json();
        vNote.textContent = t('vok').replace('{o}', j.order_id); vName.value = '';
        // Done: fold the form away; its summary keeps the confirmation in view.
        verify.open = false; verify.querySelector('summary').textContent = '✓ ' + vNote.textContent;
      } else vNote.textContent = t(r.status === 429 ? 'vmany' : r.status === 422 ? 'vno' : 'vdown');
    } catch (err) { vNote.textContent = t('vdown'); }
  });
  nForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const email = nEmail.value.trim();
    if (!email) return;
    try {
      await ensureConversation();
      const r = await req('POST', conv('/reply-notice'), { email });
      nNote.textContent = r.ok ? t('nok').replace('{o}', email) : t(r.status === 422 ? 'nbad' : r.status === 429 ? 'vmany' : 'vdown');
    } catch (err) { nNote.textContent = t('vdown'); }
  });
  window.addEventListener('online', () => { tries = 0; flush(); sync(); stream(); });
  window.addEventListener('offline', render);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) flush(); });
  window.addEventListener('storage', (e) => {
    if (e.key !== KEY) return; // another tab changed the conversation or outbox
    const id = st.id;
    st = load(); st.outbox = st.outbox || [];
    if (st.id !== id) { stopStream(); msgs = []; posted = []; stream(); }
    sync(); render();
  });

  const start = () => {
    document.body.append(host);
    counter(); render();
    if (st.id) { sync(); stream(); }
    flush();
    let wasOpen = null;
    try { wasOpen = sessionStorage.getItem(KEY); } catch (e) { /* ignore */ }
    if (wasOpen) open(false);
  };
  if (document.body) start(); else document.addEventListener('DOMContentLoaded', start);
})();
